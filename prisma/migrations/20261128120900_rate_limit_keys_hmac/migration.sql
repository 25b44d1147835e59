-- Rate-limit keys become an HMAC-SHA256 under RATE_LIMIT_KEY_SECRET (src/api/rate-limit.ts).
-- The rows stored so far are keyed by an unkeyed SHA-256 of "<limiter>:<client>", which
-- hashing every IPv4 address reverses, and no new request would ever find them again.
-- They are counters with windows of minutes to an hour, so they are deleted, not converted:
-- at worst a client gets a fresh window once, at deployment.
DELETE FROM "rate_limit_hits";
