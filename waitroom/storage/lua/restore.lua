-- Redis lost a queue's state (restart without data, or an old snapshot): put back the
-- high-water mark a waiting-room process or a signed token proves, and PAUSE the queue, so no
-- place is handed out twice and nobody is admitted until an organizer looks.
-- KEYS[1] = config               the queue's settings (hash)
-- KEYS[2] = counters             tail, serving, epoch... (hash)
-- KEYS[3] = alerts               the state guard's alert (hash)
-- ARGV[1] = epoch
-- ARGV[2] = tail                 tail high-water mark
-- ARGV[3] = serving              serving high-water mark
-- ARGV[4] = opened               0 | 1
-- ARGV[5] = source               'process' | 'token'
-- ARGV[6] = pause_reason
-- ARGV[7..] = config             field/value pairs, written only when the config itself is gone
-- Returns 1 when it restored something, 0 when nothing was lost.
local epoch = tonumber(ARGV[1])
local high_tail = tonumber(ARGV[2])
local high_serving = tonumber(ARGV[3])
local exists = redis.call('EXISTS', K.config) == 1
local c = redis.call('HMGET', K.counters, 'epoch', 'tail', 'serving')
local current_epoch = tonumber(c[1] or '-1')
local tail = tonumber(c[2] or '0')
local serving = tonumber(c[3] or '0')
if exists and current_epoch > epoch then
  return 0 -- the organizer created a newer generation of this queue
end
if exists and current_epoch == epoch and tail >= high_tail and serving >= high_serving then
  return 0
end
if not exists then
  local fields = {}
  for i = 7, #ARGV, 2 do
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
  if #fields > 0 then
    redis.call('HSET', K.config, unpack(fields))
  end
  if not redis.call('HGET', K.config, 'rate_per_minute') then
    redis.call('HSET', K.config, 'rate_per_minute', 0)
  end
end
redis.call('HSET', K.config, 'state', 'paused', 'pause_reason', ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if current_epoch ~= epoch then
  tail, serving = 0, 0
end
redis.call('HSET', K.counters, 'epoch', epoch, 'tail', math.max(tail, high_tail),
           'serving', math.max(serving, high_serving), 'credit', 0, 'last_ms', now)
if ARGV[4] == '1' then
  redis.call('HSET', K.counters, 'opened', 1)
end
redis.call('HSET', K.alerts, 'kind', 'state_lost', 'detected_at_ms', now, 'source', ARGV[5],
           'epoch', epoch, 'tail_high_water', math.max(tail, high_tail),
           'serving_high_water', math.max(serving, high_serving))
return 1
