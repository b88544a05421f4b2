-- End (revoke) a pass's shop session: the pass can never start one again.
-- KEYS[1] the pass's hash, KEYS[2] active_sessions. ARGV[1] pass id, ARGV[2] keep-until (unix s).
redis.call('HSET', KEYS[1], 'state', 'ended')
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[2]))
return redis.call('ZREM', KEYS[2], ARGV[1])
