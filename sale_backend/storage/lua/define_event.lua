-- Create or update an event's inventory. Capacity changes keep remaining >= 0.
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = catalog              the event's catalog JSON (string)
-- ARGV[1] = catalog              catalog JSON
-- ARGV[2] = tier_count           N
-- ARGV[3..] = tiers              N pairs (tier_id, capacity), then the seat ids
-- Returns {'ok'} | {'capacity', tier_id}
local count = tonumber(ARGV[2])
for index = 0, count - 1 do
  local tier_id, capacity = ARGV[3 + index * 2], tonumber(ARGV[4 + index * 2])
  local prefix = 'tier:' .. tier_id .. ':'
  local old = tonumber(redis.call('HGET', K.stock, prefix .. 'capacity') or '-1')
  if old >= 0 then
    local remaining = tonumber(redis.call('HGET', K.stock, prefix .. 'remaining'))
    if remaining + capacity - old < 0 then return {'capacity', tier_id} end
  end
end
for index = 0, count - 1 do
  local tier_id, capacity = ARGV[3 + index * 2], tonumber(ARGV[4 + index * 2])
  local prefix = 'tier:' .. tier_id .. ':'
  local old = tonumber(redis.call('HGET', K.stock, prefix .. 'capacity') or '-1')
  if old < 0 then
    redis.call('HSET', K.stock, prefix .. 'held', 0, prefix .. 'sold', 0)
    old = 0
  end
  local delta = capacity - old
  redis.call('HINCRBY', K.stock, prefix .. 'capacity', delta)
  redis.call('HINCRBY', K.stock, prefix .. 'remaining', delta)
  redis.call('HINCRBY', K.stock, 'capacity_total', delta)
  redis.call('HINCRBY', K.stock, 'remaining_total', delta)
end
for _, field in ipairs({'held_total', 'sold_total'}) do
  redis.call('HSETNX', K.stock, field, 0)
end
for index = 3 + count * 2, #ARGV do
  redis.call('HSETNX', K.seats, ARGV[index], 'free')
end
redis.call('SET', K.catalog, ARGV[1])
return {'ok'}
