-- id: drop_bulk_buy_within_3s
-- risk_type: scalper
-- severity: high
-- description: Several pieces of a limited drop ordered within 3 seconds of its release
--
-- Faster than a person can add to cart and pay, and more than one piece. Reads each
-- limited item's orders in the 3 seconds after its drop (the (type, ts) index): no scan of
-- the whole event log, on either store.
SELECT e.account_id,
       count(*) || ' drop order(s) of 2+ pieces, the fastest ' ||
       printf('%.1f', min(e.ts - i.drop_at) / 1000.0) || ' s after release' AS reason,
       json_object('events', json_group_array(e.id)) AS evidence
FROM items i
JOIN events e ON e.type = 'order' AND e.ts BETWEEN i.drop_at AND i.drop_at + 3000 AND e.item_id = i.item_id
WHERE i.limited = 1 AND i.drop_at IS NOT NULL AND e.quantity >= 2
GROUP BY e.account_id
ORDER BY e.account_id
