-- Entry scan: a valid ticket is accepted exactly once. ARGV: ticket_id.
-- Returns {'ok'} | {'used', at_ms} | {'refunded'} | {'unknown'}
local state = redis.call('HGET', KEYS[11], ARGV[1])
if not state then return {'unknown'} end
if state == 'valid' then
  redis.call('HSET', KEYS[11], ARGV[1], 'used:' .. now_ms())
  return {'ok'}
end
if state == 'refunded' then return {'refunded'} end
return {'used', string.sub(state, 6)}
