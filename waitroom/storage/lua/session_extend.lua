-- Extend a live site session (a held cart), never beyond claimed_at + the session maximum and
-- never shorter than it is.
-- KEYS[1] = pass_record          the pass's record (hash)
-- KEYS[2] = active_sessions      pass id -> deadline (sorted set)
-- ARGV[1] = pass_id
-- ARGV[2] = until_seconds        the deadline asked for (unix s)
-- ARGV[3] = now_seconds          unix s
-- ARGV[4] = session_max_seconds
-- ARGV[5] = keep_seconds         how long the record outlives the session
-- Returns {outcome, deadline, reason}: 'ok', 'ended', 'expired' or 'missing' (never claimed).
local record = redis.call('HMGET', K.pass_record, 'state', 'deadline', 'claimed_at', 'reason')
if record[1] == 'ended' then
  return { 'ended', record[2] or '0', record[4] or 'session_ended' }
end
if record[1] ~= 'active' then
  return { 'missing', '0', '' }
end
local deadline = tonumber(record[2])
local now = tonumber(ARGV[3])
if now >= deadline then
  return { 'expired', tostring(deadline), '' }
end
local limit = tonumber(record[3]) + tonumber(ARGV[4])
local granted = math.max(deadline, math.min(tonumber(ARGV[2]), limit))
if granted > deadline then
  redis.call('HSET', K.pass_record, 'deadline', granted)
  redis.call('EXPIREAT', K.pass_record, granted + tonumber(ARGV[5]))
  redis.call('ZADD', K.active_sessions, granted, ARGV[1])
end
return { 'ok', tostring(granted), '' }
