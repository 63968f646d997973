-- Flagged accounts nobody has labelled or claimed yet, highest score first, of a risk type
-- (e.g. deal_hunter). b on the result turns them into a review batch.
SELECT s.account_id, s.score, s.risk_type, s.group_id, s.reasons
FROM scores s
WHERE s.risk_type = :risk_type AND s.score >= 0.5
  AND NOT EXISTS (SELECT 1 FROM current_labels l WHERE l.account_id = s.account_id)
  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.account_id = s.account_id AND c.assignee IS NOT NULL)
ORDER BY s.score DESC;
