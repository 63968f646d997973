-- dashboard: Abuse patterns
-- Panels use :from and :to (epoch ms) of the chosen range.

-- panel: Coupon redemptions per day
-- chart: bars
-- x: day
-- y: redemptions
SELECT date(hour * 3600, 'unixepoch') AS day, sum(n) AS redemptions
FROM event_hourly WHERE type = 'coupon_redeem' AND hour >= :from / 3600000 AND hour < :to / 3600000
GROUP BY day ORDER BY day;

-- panel: Failed logins by hour of day
-- chart: heatmap
SELECT date(ts / 1000, 'unixepoch') AS day, CAST(strftime('%H', ts / 1000, 'unixepoch') AS INTEGER) AS hour, count(*)
FROM events WHERE type = 'login' AND status = 'fail' AND ts >= max(:from, :to - 7 * 86400000) AND ts < :to
GROUP BY 1, 2 ORDER BY 1;

-- panel: Flagged accounts by risk type
-- chart: hbars
SELECT coalesce(risk_type, 'other') AS risk_type, count(*) FROM scores WHERE score >= 0.5 GROUP BY 1 ORDER BY 2 DESC;

-- panel: Biggest groups
-- chart: table
SELECT group_id, risk_type, size, round(score, 2) AS score FROM groups ORDER BY size DESC LIMIT 10;

-- panel: Share of flagged accounts labelled
-- chart: gauge
SELECT (SELECT count(*) FROM scores s JOIN current_labels l USING (account_id) WHERE s.score >= 0.5) * 1.0
       / max(1, (SELECT count(*) FROM scores WHERE score >= 0.5)), 'flagged accounts with a label';
