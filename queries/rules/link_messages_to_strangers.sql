-- id: link_messages_to_strangers
-- risk_type: spam
-- severity: medium
-- description: Messages with a link sent to 20+ accounts that never bought from the sender
--
-- A seller's shipping notice goes to its own buyers (links of kind 'seller'); spam does not.
SELECT m.account_id,
       count(DISTINCT m.target_id) || ' strangers received link messages' AS reason,
       json_object('events', json_group_array(m.id)) AS evidence
FROM events m
WHERE m.type = 'message' AND m.target_id IS NOT NULL
  AND (m.text LIKE '%http://%' OR m.text LIKE '%https://%' OR m.text LIKE '%www.%')
  AND NOT EXISTS (SELECT 1 FROM links l
                  WHERE l.kind = 'seller' AND l.value = m.account_id AND l.account_id = m.target_id)
GROUP BY m.account_id
HAVING count(DISTINCT m.target_id) >= 20
