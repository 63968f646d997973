-- id: drop_bulk_buy_within_3s
-- risk_type: scalper
-- severity: high
-- description: Several pieces of a limited drop ordered within 3 seconds of its release
--
-- Faster than a person can add to cart and pay, and more than one piece. Reads the
-- accounts that dealt with each limited item (links), then their events in the 3 seconds
-- after the drop (the account/time index): no scan of the whole event log.
SELECT e.account_id,
       count(*) || ' drop order(s) of 2+ pieces, the fastest ' ||
       printf('%.1f', min(e.ts - i.drop_at) / 1000.0) || ' s after release' AS reason,
       json_object('events', json_group_array(e.id)) AS evidence
FROM items i
JOIN links l ON l.kind = 'item' AND l.value = i.item_id
JOIN events e ON e.account_id = l.account_id AND e.ts BETWEEN i.drop_at AND i.drop_at + 3000
WHERE i.limited = 1 AND i.drop_at IS NOT NULL
  AND e.type = 'order' AND e.item_id = i.item_id AND e.quantity >= 2
GROUP BY e.account_id
