-- The organizer removes an event from the queue: its figures go, its later reports are
-- refused, and the queue's state follows the remaining events. Keys: see stock_state.lua.
-- ARGV[1] default burst, ARGV[2] event id, ARGV[3] now (unix s).
-- Returns {'ok', state, remaining_total, changed, removed(0|1)} | {'missing'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'missing' }
end
local removed = redis.call('HDEL', KEYS[6], ARGV[2])
redis.call('SADD', KEYS[8], ARGV[2])
local settled = settle_stock(tonumber(ARGV[1]), ARGV[3])
return { 'ok', settled[1], settled[2], settled[3], removed }
