-- The event's stock figures with the Redis time of the read, in one step: the time (unix
-- microseconds) orders reports of the same event, whichever shop process sends them; the
-- earliest hold expiry (ms, Redis clock; -1 without holds) says until when no held ticket can
-- come back by itself (the shop's stock view refuses sold-out requests only until then).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = hold_expiry          hold id scored by expiry ms (sorted set)
-- Returns {time_us, next_hold_expiry_ms, field, value, field, value, ...}
local t = redis.call('TIME')
local first = redis.call('ZRANGE', K.hold_expiry, 0, 0, 'WITHSCORES')
local result = { tonumber(t[1]) * 1000000 + tonumber(t[2]), first[2] and tonumber(first[2]) or -1 }
for _, item in ipairs(redis.call('HGETALL', K.stock)) do
  result[#result + 1] = item
end
return result
