-- End a pass's site session for good (idempotent): the active-shopper slot is freed at once and
-- the pass can never start a session again.
-- KEYS[1] = pass_record          the pass's record (hash)
-- KEYS[2] = active_sessions      pass id -> deadline (sorted set)
-- ARGV[1] = pass_id
-- ARGV[2] = reason
-- ARGV[3] = now_seconds          unix s (ms precision: a stock report is ordered against it)
-- ARGV[4] = keep_seconds         how long the record is kept
-- ARGV[5], ARGV[6] (optional)    a purchase's event id and the event's stock version at the
--                                sale (waitlist_offer.lua waits for a report past it)
-- Returns {outcome, deadline, reason}: 'ended' (now), 'already' (before; its reason) or
-- 'missing' (no record).
local record = redis.call('HMGET', K.pass_record, 'state', 'deadline', 'reason')
if not record[1] then
  return { 'missing', '0', '' }
end
if record[1] == 'ended' then
  return { 'already', record[2] or '0', record[3] or 'session_ended' }
end
local now = tonumber(ARGV[3])
redis.call('HSET', K.pass_record, 'state', 'ended', 'reason', ARGV[2], 'ended_at', now)
if ARGV[6] then
  redis.call('HSET', K.pass_record, 'stock_event', ARGV[5], 'stock_version', ARGV[6])
end
redis.call('EXPIREAT', K.pass_record, math.floor(now) + tonumber(ARGV[4]))
redis.call('ZREM', K.active_sessions, ARGV[1])
return { 'ended', record[2] or '0', ARGV[2] }
