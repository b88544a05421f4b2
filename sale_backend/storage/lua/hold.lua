-- Create a hold: atomically checks tier stock, seat states and the buyer's limit, then moves
-- tickets from remaining to held. ARGV: hold_id, hold_json, ttl_ms, buyer_limit, then pairs
-- (tier_id, quantity) and finally seat ids after the count of pairs.
-- Returns {'ok', expires_at_ms} | {'sold_out', tier_id, remaining} | {'seat_taken', seat}
--       | {'limit', already_counted} | {'unknown_tier', tier_id}
local hold_id, hold_json = ARGV[1], ARGV[2]
local ttl_ms, buyer_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local hold = cjson.decode(hold_json)
local now = now_ms()
expire_due(now, 100)

for tier_id, quantity in pairs(hold.items) do
  local remaining = redis.call('HGET', KEYS[1], 'tier:' .. tier_id .. ':remaining')
  if not remaining then return {'unknown_tier', tier_id} end
  if tonumber(remaining) < quantity then return {'sold_out', tier_id, remaining} end
end
for _, seat in ipairs(hold.seats or {}) do
  if redis.call('HGET', KEYS[2], seat) ~= 'free' then return {'seat_taken', seat} end
end
local counted = tonumber(redis.call('HGET', KEYS[5], hold.buyer) or '0')
if counted + hold.units > buyer_limit then return {'limit', counted} end

for tier_id, quantity in pairs(hold.items) do
  move_stock(tier_id, quantity, 'remaining', 'held')
end
for _, seat in ipairs(hold.seats or {}) do
  redis.call('HSET', KEYS[2], seat, 'held:' .. hold_id)
end
redis.call('HINCRBY', KEYS[5], hold.buyer, hold.units)
redis.call('HSET', KEYS[3], hold_id, hold_json)
local expires_at = now + ttl_ms
redis.call('ZADD', KEYS[4], expires_at, hold_id)
return {'ok', expires_at}
