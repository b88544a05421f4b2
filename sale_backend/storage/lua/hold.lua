-- Create a hold: atomically checks tier stock, seat states and the buyer's limit, then moves
-- tickets from remaining to held (expired holds are released first).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- ARGV[1] = hold_id
-- ARGV[2] = hold                 hold JSON (buyer, items, seats, units, amount)
-- ARGV[3] = ttl_ms
-- ARGV[4] = buyer_limit          tickets one buyer may hold or buy
-- Returns {'ok', expires_at_ms} | {'sold_out', tier_id, remaining} | {'seat_taken', seat}
--       | {'limit', already_counted} | {'unknown_tier', tier_id}
local hold_id, hold_json = ARGV[1], ARGV[2]
local ttl_ms, buyer_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local hold = cjson.decode(hold_json)
local now = now_ms()
expire_due(now, 100)

for tier_id, quantity in pairs(hold.items) do
  local remaining = redis.call('HGET', K.stock, 'tier:' .. tier_id .. ':remaining')
  if not remaining then return {'unknown_tier', tier_id} end
  if tonumber(remaining) < quantity then return {'sold_out', tier_id, remaining} end
end
for _, seat in ipairs(hold.seats or {}) do
  if redis.call('HGET', K.seats, seat) ~= 'free' then return {'seat_taken', seat} end
end
local counted = tonumber(redis.call('HGET', K.buyers, hold.buyer) or '0')
if counted + hold.units > buyer_limit then return {'limit', counted} end

for tier_id, quantity in pairs(hold.items) do
  move_stock(tier_id, quantity, 'remaining', 'held')
end
for _, seat in ipairs(hold.seats or {}) do
  redis.call('HSET', K.seats, seat, 'held:' .. hold_id)
end
redis.call('HINCRBY', K.buyers, hold.buyer, hold.units)
redis.call('HSET', K.holds, hold_id, hold_json)
local expires_at = now + ttl_ms
redis.call('ZADD', K.hold_expiry, expires_at, hold_id)
return {'ok', expires_at}
