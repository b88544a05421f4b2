-- Advance and read one queue's state for the in-process view cache.
-- ARGV[1] default burst. KEYS[5] (optional) the stock totals (queue_stock.py: the sum over events).
-- Returns {serving, tail, epoch, now_ms, opened, prequeue_length, config..., remaining_total}
local result = advance(tonumber(ARGV[1]))
if not result then
  return false
end
local opened = redis.call('HGET', KEYS[2], 'opened') or '0'
local prequeue_length = redis.call('LLEN', KEYS[4])
local remaining_total = false
if KEYS[5] then
  remaining_total = redis.call('HGET', KEYS[5], 'remaining_total') or false
end
return { result[1], result[2], result[3], result[4], opened, prequeue_length,
         redis.call('HGETALL', KEYS[1]), remaining_total }
