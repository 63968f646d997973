-- id: failed_logins_then_reset_new_device
-- risk_type: ato
-- severity: medium
-- description: 3+ failed logins, then a password reset from a device the account never used before
--
-- The classic takeover opening. People who forget their password reset from their own phone.
SELECT r.account_id,
       count(*) || ' failed logins in the hour before a reset from new device ' || r.device_id AS reason,
       json_object('events', json_group_array(f.id)) AS evidence
FROM events r
JOIN events f ON f.account_id = r.account_id AND f.type = 'login' AND f.status = 'fail'
             AND f.ts BETWEEN r.ts - 3600000 AND r.ts
WHERE r.type = 'password_reset' AND r.device_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events p
                  WHERE p.account_id = r.account_id AND p.device_id = r.device_id AND p.ts < r.ts - 3600000)
  AND EXISTS (SELECT 1 FROM events p WHERE p.account_id = r.account_id AND p.ts < r.ts - 3600000)
GROUP BY r.id, r.account_id, r.device_id
HAVING count(*) >= 3
