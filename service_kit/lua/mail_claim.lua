-- Claim due messages of one outbox for this process (service_kit/mail_outbox.py).
-- KEYS[1] outbox (sorted set message id -> due time, ms), KEYS[2] messages (hash id -> JSON).
-- ARGV[1] how many at most, ARGV[2] lease (ms): a claimed message is due again after the lease,
-- so a process that died while sending leaves it to another one; a message is claimed by one
-- process at a time (each script runs alone).
-- Returns {id, payload, attempt, ...}; attempt counts claims (1 for the first).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local result = {}
for _, id in ipairs(due) do
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    local attempt = redis.call('HINCRBY', KEYS[2], 'attempts:' .. id, 1)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    result[#result + 1] = id
    result[#result + 1] = payload
    result[#result + 1] = attempt
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return result
