-- One shop session per pass. KEYS[1] the pass's hash (wr:{q:<id>}:pass:<pass id>),
-- KEYS[2] the queue's active_sessions sorted set (pass id -> expiry unix s).
-- ARGV[1] pass id, ARGV[2] session id presented by the browser, ARGV[3] pass expiry (unix s).
-- Returns 'ok' (the bound session), 'claimed' (first use: bound now), 'in_use' (bound to
-- another session) or 'ended' (revoked or ended: the pass cannot start a session again).
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'ended' then
  return 'ended'
end
local bound = redis.call('HGET', KEYS[1], 'session')
if bound then
  if bound == ARGV[2] then
    return 'ok'
  end
  return 'in_use'
end
local expires_at = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'session', ARGV[2], 'state', 'active')
redis.call('EXPIREAT', KEYS[1], expires_at + 3600)
redis.call('ZADD', KEYS[2], expires_at, ARGV[1])
return 'claimed'
