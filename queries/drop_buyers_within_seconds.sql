-- Accounts that ordered a limited drop within :seconds seconds of it opening (scalper bots),
-- with how many drops they hit that fast.
SELECT e.account_id, count(DISTINCT e.item_id) AS drops, sum(e.quantity) AS pieces,
       min((e.ts - i.drop_at) / 1000.0) AS fastest_s,
       group_concat(DISTINCT e.address_id) AS addresses, s.score, s.risk_type
FROM events e JOIN items i ON i.item_id = e.item_id
LEFT JOIN scores s ON s.account_id = e.account_id
WHERE e.type = 'order' AND i.limited = 1 AND i.drop_at IS NOT NULL
  AND e.ts >= i.drop_at AND e.ts - i.drop_at <= :seconds * 1000
GROUP BY e.account_id
ORDER BY drops DESC, fastest_s;
