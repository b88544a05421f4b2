-- Begin a checkout in one atomic step: claim the request's Idempotency-Key, create the hold
-- of an express checkout, and record the payment intent BEFORE the provider is called (record
-- first, reconcile on start). A refusal writes nothing (the key stays free); once the intent
-- is recorded the key stays claimed until the payment is settled, however long it takes.
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- KEYS[7] = payment_status       payment id -> status (hash)
-- KEYS[8] = payments_pending     payment ids not settled yet (sorted set)
-- KEYS[9] = payments             payment id -> payment intent JSON (hash)
-- KEYS[10] = record_log         the event's records, by name, in the order they were made (list)
-- KEYS[11] = idempotency         this request's Idempotency-Key record (hash)
-- ARGV[1] = body_sha256          the request body's digest (same key + other body: mismatch)
-- ARGV[2] = idempotency_ttl_seconds how long the claimed key lives
-- ARGV[3] = hold_id              the hold to pay (an express checkout's new hold)
-- ARGV[4] = buyer
-- ARGV[5] = payment_id
-- ARGV[6] = payment              payment intent JSON ('' when the caller found no hold)
-- ARGV[7] = hold                 an express checkout's hold JSON, '' to pay an existing hold
-- ARGV[8] = ttl_ms               the new hold's lifetime (express)
-- ARGV[9] = buyer_limit          tickets one buyer may hold or buy (express)
-- Returns {'ok', hold_json, expires_at_ms}
--       | {'mismatch'} | {'busy'} | {'replay', status, response}     (the key has a record)
--       | {'sold_out', tier_id, remaining} | {'seat_taken', seat} | {'limit', already_counted}
--       | {'unknown_tier', tier_id}                                  (the express hold refused)
--       | {'gone'} | {'paying', payment_id}                          (the hold to pay)
local answered = idempotency_answer(ARGV[1])
if answered then return answered end
local hold_id, buyer, payment_id, payment_json = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
expire_due(now, 100)
if ARGV[7] ~= '' then
  local made = create_hold(hold_id, ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), now)
  if made[1] ~= 'ok' then return made end
end
local raw = redis.call('HGET', K.holds, hold_id)
if not raw or payment_json == '' then return {'gone'} end
if cjson.decode(raw).buyer ~= buyer then return {'gone'} end
local current = redis.call('HGET', K.hold_payment, hold_id)
if current then return {'paying', current} end
redis.call('HSET', K.payments, payment_id, payment_json)
redis.call('HSET', K.payment_status, payment_id, 'pending')
redis.call('ZADD', K.payments_pending, now, payment_id)
redis.call('HSET', K.hold_payment, hold_id, payment_id)
if redis.call('EXISTS', K.idempotency) == 0 then
  redis.call('RPUSH', K.record_log, K.idempotency)
end
redis.call('HSET', K.idempotency, 'state', 'running', 'body', ARGV[1])
redis.call('EXPIRE', K.idempotency, tonumber(ARGV[2]))
return {'ok', raw, redis.call('ZSCORE', K.hold_expiry, hold_id)}
