-- Claim an Idempotency-Key for one buyer. A claim in progress expires after the lease (a
-- crashed request does not block the key).
-- KEYS[1] = idempotency          this request's Idempotency-Key record (hash)
-- ARGV[1] = body_sha256
-- ARGV[2] = lease_seconds
-- Returns {'new'} | {'mismatch'} | {'busy'} | {'replay', status, response}
local state = redis.call('HGET', K.idempotency, 'state')
if not state then
  redis.call('HSET', K.idempotency, 'state', 'running', 'body', ARGV[1])
  redis.call('EXPIRE', K.idempotency, tonumber(ARGV[2]))
  return {'new'}
end
if redis.call('HGET', K.idempotency, 'body') ~= ARGV[1] then return {'mismatch'} end
if state == 'running' then return {'busy'} end
return {'replay', redis.call('HGET', K.idempotency, 'status'), redis.call('HGET', K.idempotency, 'response')}
