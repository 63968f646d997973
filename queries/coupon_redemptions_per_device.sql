-- Coupon redemptions per device: many accounts redeeming on one device is the signature of
-- deal-hunters farming new-user coupons. Devices with at least :min_accounts accounts.
SELECT device_id,
       count(DISTINCT account_id) AS accounts,
       count(*)                   AS redemptions,
       count(DISTINCT coupon_id)  AS coupons,
       group_concat(DISTINCT coupon_id) AS which,
       datetime(min(ts) / 1000, 'unixepoch') AS first,
       datetime(max(ts) / 1000, 'unixepoch') AS last
FROM events
WHERE type = 'coupon_redeem' AND device_id IS NOT NULL
GROUP BY device_id
HAVING count(DISTINCT account_id) >= :min_accounts
ORDER BY accounts DESC, redemptions DESC;
