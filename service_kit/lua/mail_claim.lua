-- Claim due messages of one outbox for this process (service_kit/mail_outbox.py): a claimed
-- message is due again after the lease, so a process that died while sending leaves it to
-- another one; a message is claimed by one process at a time (each script runs alone).
-- KEYS[1] = mail_outbox          message id -> due time, ms (sorted set)
-- KEYS[2] = mail_messages        message id -> JSON payload, attempts:<id> counters (hash)
-- ARGV[1] = limit                most messages claimed
-- ARGV[2] = lease_ms
-- Returns {id, payload, attempt, ...}; attempt counts claims (1 for the first).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', K.mail_outbox, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local result = {}
for _, id in ipairs(due) do
  local payload = redis.call('HGET', K.mail_messages, id)
  if payload then
    local attempt = redis.call('HINCRBY', K.mail_messages, 'attempts:' .. id, 1)
    redis.call('ZADD', K.mail_outbox, now + tonumber(ARGV[2]), id)
    result[#result + 1] = id
    result[#result + 1] = payload
    result[#result + 1] = attempt
  else
    redis.call('ZREM', K.mail_outbox, id)
  end
end
return result
