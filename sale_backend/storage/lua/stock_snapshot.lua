-- The event's stock figures with the Redis time of the read, in one step: the time (unix
-- microseconds) orders reports of the same event, whichever shop process sends them.
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- Returns {time_us, field, value, field, value, ...}
local t = redis.call('TIME')
local result = { tonumber(t[1]) * 1000000 + tonumber(t[2]) }
for _, item in ipairs(redis.call('HGETALL', K.stock)) do
  result[#result + 1] = item
end
return result
