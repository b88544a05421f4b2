-- The event's stock figures with the Redis time of the read, in one step: the time (unix
-- microseconds) orders reports of the same event, whichever shop process sends them; the
-- earliest hold expiry (ms, Redis clock; -1 without holds) says until when no held ticket can
-- come back by itself (the shop's stock view refuses sold-out requests only until then). And
-- the Idempotency-Key records made since the caller's last read, as of the same moment.
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[3] = record_log           the event's records, by name, in the order they were made (list)
-- ARGV[1] = records_known        entries of the record log the caller has (-1: none wanted)
-- ARGV[2] = max_records          at most this many new entries in one answer
-- Returns {time_us, next_hold_expiry_ms, record_log_length, first_new_record, new_count,
--          record..., field, value, field, value, ...}
local t = redis.call('TIME')
local first = redis.call('ZRANGE', K.hold_expiry, 0, 0, 'WITHSCORES')
local known = tonumber(ARGV[1])
local logged, records = 0, {}
if known >= 0 then
  logged = redis.call('LLEN', K.record_log)
  if known < logged then
    records = redis.call('LRANGE', K.record_log, known, known + tonumber(ARGV[2]) - 1)
  end
end
local result = {
  tonumber(t[1]) * 1000000 + tonumber(t[2]),
  first[2] and tonumber(first[2]) or -1,
  logged,
  known,
  #records,
}
for _, record in ipairs(records) do
  result[#result + 1] = record
end
for _, item in ipairs(redis.call('HGETALL', K.stock)) do
  result[#result + 1] = item
end
return result
