-- End a pass's site session for good (idempotent): the active-shopper slot is freed at once and
-- the pass can never start a session again. KEYS[1] the pass record, KEYS[2] active_sessions.
-- ARGV[1] pass id, ARGV[2] reason, ARGV[3] now (unix s), ARGV[4] keep the record this long (s).
-- Returns {outcome, deadline, reason}: 'ended' (now), 'already' (before; its reason) or
-- 'missing' (no record).
local record = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'reason')
if not record[1] then
  return { 'missing', '0', '' }
end
if record[1] == 'ended' then
  return { 'already', record[2] or '0', record[3] or 'session_ended' }
end
local now = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'ended', 'reason', ARGV[2], 'ended_at', now)
redis.call('EXPIREAT', KEYS[1], now + tonumber(ARGV[4]))
redis.call('ZREM', KEYS[2], ARGV[1])
return { 'ended', record[2] or '0', ARGV[2] }
