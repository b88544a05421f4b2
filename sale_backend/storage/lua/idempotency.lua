-- Claim an Idempotency-Key for one buyer. ARGV: body_sha256, lease_seconds.
-- A claim in progress expires after the lease (a crashed request does not block the key).
-- Returns {'new'} | {'mismatch'} | {'busy'} | {'replay', status, response}
local state = redis.call('HGET', KEYS[15], 'state')
if not state then
  redis.call('HSET', KEYS[15], 'state', 'running', 'body', ARGV[1])
  redis.call('EXPIRE', KEYS[15], tonumber(ARGV[2]))
  return {'new'}
end
if redis.call('HGET', KEYS[15], 'body') ~= ARGV[1] then return {'mismatch'} end
if state == 'running' then return {'busy'} end
return {'replay', redis.call('HGET', KEYS[15], 'status'), redis.call('HGET', KEYS[15], 'response')}
