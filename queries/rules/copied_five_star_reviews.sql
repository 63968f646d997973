-- id: copied_five_star_reviews
-- risk_type: brushing
-- severity: low
-- description: A 5-star review text used word for word by 4+ accounts on the same seller, from shared devices
--
-- Honest reviews of a popular shop can coincide ("Great product"), so the rule also asks
-- that the reviewer shares a device with another account that posted the same text.
-- The accounts posting one text on one seller are one group: a crew's thin members inherit
-- the evidence of the rest (detection.md, "Propagation").
WITH r AS (
    SELECT id, account_id, seller_id, device_id,
           lower(trim(replace(replace(text, '!', ''), '.', ''))) AS t
    FROM events
    WHERE type = 'review' AND rating = 5 AND text IS NOT NULL AND seller_id IS NOT NULL
), c AS (
    SELECT seller_id, t FROM r GROUP BY seller_id, t HAVING count(DISTINCT account_id) >= 4
)
SELECT r.account_id,
       'posted a 5-star text shared by 4+ accounts on seller ' || min(r.seller_id) AS reason,
       json_object('events', json_group_array(r.id)) AS evidence,
       min(r.seller_id) || ' / ' || min(r.t) AS "group"
FROM r JOIN c USING (seller_id, t)
WHERE EXISTS (SELECT 1 FROM r o WHERE o.seller_id = r.seller_id AND o.t = r.t
                                 AND o.account_id <> r.account_id AND o.device_id = r.device_id)
GROUP BY r.account_id
