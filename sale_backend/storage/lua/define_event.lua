-- Create or update an event's inventory. ARGV: catalog_json, tier count N, then N triples
-- (tier_id, capacity), then seat ids. Capacity changes keep remaining >= 0.
-- Returns {'ok'} | {'capacity', tier_id}
local count = tonumber(ARGV[2])
for index = 0, count - 1 do
  local tier_id, capacity = ARGV[3 + index * 2], tonumber(ARGV[4 + index * 2])
  local prefix = 'tier:' .. tier_id .. ':'
  local old = tonumber(redis.call('HGET', KEYS[1], prefix .. 'capacity') or '-1')
  if old >= 0 then
    local remaining = tonumber(redis.call('HGET', KEYS[1], prefix .. 'remaining'))
    if remaining + capacity - old < 0 then return {'capacity', tier_id} end
  end
end
for index = 0, count - 1 do
  local tier_id, capacity = ARGV[3 + index * 2], tonumber(ARGV[4 + index * 2])
  local prefix = 'tier:' .. tier_id .. ':'
  local old = tonumber(redis.call('HGET', KEYS[1], prefix .. 'capacity') or '-1')
  if old < 0 then
    redis.call('HSET', KEYS[1], prefix .. 'held', 0, prefix .. 'sold', 0)
    old = 0
  end
  local delta = capacity - old
  redis.call('HINCRBY', KEYS[1], prefix .. 'capacity', delta)
  redis.call('HINCRBY', KEYS[1], prefix .. 'remaining', delta)
  redis.call('HINCRBY', KEYS[1], 'capacity_total', delta)
  redis.call('HINCRBY', KEYS[1], 'remaining_total', delta)
end
for _, field in ipairs({'held_total', 'sold_total'}) do
  redis.call('HSETNX', KEYS[1], field, 0)
end
for index = 3 + count * 2, #ARGV do
  redis.call('HSETNX', KEYS[2], ARGV[index], 'free')
end
redis.call('SET', KEYS[16], ARGV[1])
return {'ok'}
