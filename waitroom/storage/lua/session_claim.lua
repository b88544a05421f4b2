-- Bind a pass to one site session on its first use (contract section 2).
-- KEYS[1] the pass record, KEYS[2] active_sessions (sorted set pass id -> deadline, read by the
-- admission script for active_shopper_cap), KEYS[3] the queue's config hash.
-- ARGV[1] pass id, ARGV[2] session id, ARGV[3] the verified pass's exp (unix s), ARGV[4] now
-- (unix s), ARGV[5] clock leeway (s), ARGV[6] how long the record outlives the session (s).
-- Returns {outcome, deadline, reason}: 'claimed' (bound now), 'same' (already this session's),
-- 'in_use', 'ended', 'expired' or 'missing' (no such queue).
if redis.call('EXISTS', KEYS[3]) == 0 then
  return { 'missing', '0', '' }
end
local now = tonumber(ARGV[4])
local leeway = tonumber(ARGV[5])
local record = redis.call('HMGET', KEYS[1], 'state', 'session', 'deadline', 'exp', 'reason')
local state = record[1]
if state == 'ended' then
  return { 'ended', record[3] or '0', record[5] or 'session_ended' }
end
if state == 'active' then
  local deadline = tonumber(record[3]) or 0
  if record[2] ~= ARGV[2] then
    return { 'in_use', tostring(deadline), '' }
  end
  if now >= deadline + leeway then
    return { 'expired', tostring(deadline), '' }
  end
  return { 'same', tostring(deadline), '' }
end
-- issued here, or a record this store does not have (a pass it signed all the same)
local expires_at = tonumber(record[4]) or tonumber(ARGV[3])
if now >= expires_at + leeway then
  return { 'expired', tostring(expires_at), '' }
end
redis.call('HSET', KEYS[1], 'state', 'active', 'session', ARGV[2], 'claimed_at', now,
           'deadline', expires_at, 'exp', expires_at)
redis.call('EXPIREAT', KEYS[1], expires_at + tonumber(ARGV[6]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - 60))
redis.call('ZADD', KEYS[2], expires_at, ARGV[1])
return { 'claimed', tostring(expires_at), '' }
