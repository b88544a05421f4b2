-- Record a payment intent BEFORE the provider is called (record first, reconcile on start).
-- From here on the request's Idempotency-Key stays claimed until the payment is settled,
-- however long it takes.
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- KEYS[7] = payment_status       payment id -> status (hash)
-- KEYS[8] = payments_pending     payment ids not settled yet (sorted set)
-- KEYS[9] = payments             payment id -> payment intent JSON (hash)
-- KEYS[10] = idempotency?        this request's Idempotency-Key record (hash); left off without an Idempotency-Key
-- ARGV[1] = hold_id
-- ARGV[2] = buyer
-- ARGV[3] = payment_id
-- ARGV[4] = payment              payment intent JSON
-- ARGV[5] = idempotency_ttl_seconds how long the claimed key lives (absent: untouched)
-- Returns {'ok', hold_json, expires_at_ms} | {'gone'} | {'busy', payment_id}
local hold_id, buyer, payment_id, payment_json = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now = now_ms()
expire_due(now, 100)
local raw = redis.call('HGET', K.holds, hold_id)
if not raw then return {'gone'} end
local hold = cjson.decode(raw)
if hold.buyer ~= buyer then return {'gone'} end
local current = redis.call('HGET', K.hold_payment, hold_id)
if current then return {'busy', current} end
redis.call('HSET', K.payments, payment_id, payment_json)
redis.call('HSET', K.payment_status, payment_id, 'pending')
redis.call('ZADD', K.payments_pending, now, payment_id)
redis.call('HSET', K.hold_payment, hold_id, payment_id)
if ARGV[5] and K.idempotency and redis.call('EXISTS', K.idempotency) == 1 then
  redis.call('EXPIRE', K.idempotency, tonumber(ARGV[5]))
end
return {'ok', raw, redis.call('ZSCORE', K.hold_expiry, hold_id)}
