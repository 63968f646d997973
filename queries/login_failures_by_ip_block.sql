-- Failed logins by IPv4 /24 block: credential stuffing and takeover attempts come in blocks.
SELECT rtrim(ip, '0123456789') || '0/24' AS block,
       count(*) AS failures, count(DISTINCT account_id) AS accounts, count(DISTINCT ip) AS ips,
       datetime(min(ts) / 1000, 'unixepoch') AS first, datetime(max(ts) / 1000, 'unixepoch') AS last
FROM events
WHERE type = 'login' AND status = 'failed' AND ip LIKE '%.%.%.%'
GROUP BY block
ORDER BY failures DESC
LIMIT 200;
