-- Accounts that share a device, payment instrument, shipping address or IP with :account_id,
-- with what they share and their risk score: the first step in walking a ring.
SELECT o.account_id,
       group_concat(DISTINCT l.kind || ' ' || l.value) AS shared,
       count(DISTINCT l.kind || l.value)               AS n_shared,
       s.score, s.risk_type, a.created
FROM links l
JOIN links o ON o.kind = l.kind AND o.value = l.value AND o.account_id <> l.account_id
LEFT JOIN scores s ON s.account_id = o.account_id
LEFT JOIN accounts_iso a ON a.account_id = o.account_id
WHERE l.account_id = :account_id AND l.kind IN ('device', 'payment', 'address', 'ip')
GROUP BY o.account_id
ORDER BY n_shared DESC, s.score DESC
LIMIT 500;
