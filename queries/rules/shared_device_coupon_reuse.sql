-- id: shared_device_coupon_reuse
-- risk_type: deal_hunter
-- severity: medium
-- description: The same coupon redeemed by 3 or more accounts on one device
--
-- A household shares a tablet, but rarely has three new accounts that each take the same
-- coupon. Evidence: the device.
WITH r AS (
    SELECT coupon_id, device_id, account_id, min(id) AS event
    FROM events
    WHERE type = 'coupon_redeem' AND coupon_id IS NOT NULL AND device_id IS NOT NULL
    GROUP BY coupon_id, device_id, account_id
), d AS (
    SELECT coupon_id, device_id, count(*) AS n FROM r GROUP BY coupon_id, device_id HAVING count(*) >= 3
)
SELECT r.account_id,
       'coupon ' || r.coupon_id || ' redeemed by ' || d.n || ' accounts on one device' AS reason,
       json_object('events', json_array(r.event),
                   'identifiers', json_array(json_object('kind', CAST('device' AS TEXT), 'value', r.device_id))) AS evidence
FROM r JOIN d USING (coupon_id, device_id)
