-- Advance and read one queue's state for the in-process view cache.
-- ARGV[1] default burst. Returns {serving, tail, epoch, now_ms, opened, prequeue_length, config...}
local result = advance(tonumber(ARGV[1]))
if not result then
  return false
end
local opened = redis.call('HGET', KEYS[2], 'opened') or '0'
local prequeue_length = redis.call('LLEN', KEYS[4])
return { result[1], result[2], result[3], result[4], opened, prequeue_length,
         redis.call('HGETALL', KEYS[1]) }
