-- A fan leaves the queue: the place is freed for admission to skip.
-- KEYS[1] = visitors             visitor id -> place (hash)
-- KEYS[2] = left                 places given up (bitmap)
-- KEYS[3] = prequeue             visitor ids that came before opening (list)
-- KEYS[4] = profile?             the fan's profile (hash); left off to keep it (as on "join
--                                the queue again")
-- ARGV[1] = visitor_id
-- Returns the position given up (0 from the pre-queue), or -1 when the visitor held no place.
local held = redis.call('HGET', K.visitors, ARGV[1])
if not held then
  return -1
end
local position = tonumber(held)
redis.call('HDEL', K.visitors, ARGV[1])
if position > 0 then
  redis.call('SETBIT', K.left, position, 1)
else
  redis.call('LREM', K.prequeue, 0, ARGV[1])
end
if K.profile then
  redis.call('DEL', K.profile)
end
return position
