-- Bind a pass to one site session on its first use (contract section 2).
-- KEYS[1] = pass_record          the pass's record (hash)
-- KEYS[2] = active_sessions      pass id -> deadline, read by the engine for active_shopper_cap
-- KEYS[3] = config               the queue's settings (hash)
-- ARGV[1] = pass_id
-- ARGV[2] = session_id
-- ARGV[3] = pass_expires_at      the verified pass's exp (unix s)
-- ARGV[4] = now_seconds          unix s
-- ARGV[5] = leeway_seconds       clock leeway
-- ARGV[6] = keep_seconds         how long the record outlives the session
-- Returns {outcome, deadline, reason}: 'claimed' (bound now), 'same' (already this session's),
-- 'in_use', 'ended', 'expired' or 'missing' (no such queue).
if redis.call('EXISTS', K.config) == 0 then
  return { 'missing', '0', '' }
end
local now = tonumber(ARGV[4])
local leeway = tonumber(ARGV[5])
local record = redis.call('HMGET', K.pass_record, 'state', 'session', 'deadline', 'exp', 'reason')
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
redis.call('HSET', K.pass_record, 'state', 'active', 'session', ARGV[2], 'claimed_at', now,
           'deadline', expires_at, 'exp', expires_at)
redis.call('EXPIREAT', K.pass_record, expires_at + tonumber(ARGV[6]))
redis.call('ZREMRANGEBYSCORE', K.active_sessions, '-inf', '(' .. (now - 60))
redis.call('ZADD', K.active_sessions, expires_at, ARGV[1])
return { 'claimed', tostring(expires_at), '' }
