-- Record a payment intent BEFORE the provider is called (record first, reconcile on start).
-- ARGV: hold_id, buyer, payment_id, payment_json, idempotency_ttl. From here on the request's
-- Idempotency-Key (KEYS[15]) stays claimed until the payment is settled, however long it takes.
-- Returns {'ok', hold_json, expires_at_ms} | {'gone'} | {'busy', payment_id}
local hold_id, buyer, payment_id, payment_json = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now = now_ms()
expire_due(now, 100)
local raw = redis.call('HGET', KEYS[3], hold_id)
if not raw then return {'gone'} end
local hold = cjson.decode(raw)
if hold.buyer ~= buyer then return {'gone'} end
local current = redis.call('HGET', KEYS[6], hold_id)
if current then return {'busy', current} end
redis.call('HSET', KEYS[9], payment_id, payment_json)
redis.call('HSET', KEYS[7], payment_id, 'pending')
redis.call('ZADD', KEYS[8], now, payment_id)
redis.call('HSET', KEYS[6], hold_id, payment_id)
if ARGV[5] and redis.call('EXISTS', KEYS[15]) == 1 then
  redis.call('EXPIRE', KEYS[15], tonumber(ARGV[5]))
end
return {'ok', raw, redis.call('ZSCORE', KEYS[4], hold_id)}
