-- Settle a payment that did not become an order: declined, refunded after a lost hold, or
-- never charged (abandoned).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- KEYS[7] = payment_status       payment id -> status (hash)
-- KEYS[8] = payments_pending     payment ids not settled yet (sorted set)
-- KEYS[9] = idempotency?         this request's Idempotency-Key record (hash); left off without an Idempotency-Key
-- ARGV[1] = payment_id
-- ARGV[2] = hold_id
-- ARGV[3] = status               the new status
-- ARGV[4] = release_hold         0 | 1
-- ARGV[5] = idempotency          'store' | 'forget' | 'keep'
-- ARGV[6] = answer_status        store: the HTTP status kept
-- ARGV[7] = answer_body          store: the body kept
-- ARGV[8] = idempotency_ttl_seconds store: how long it is kept
-- Returns {'ok'} | {'state', status}
local payment_id, hold_id, new_status = ARGV[1], ARGV[2], ARGV[3]
local status = redis.call('HGET', K.payment_status, payment_id)
if not status or string.sub(status, 1, 10) == 'fulfilled:' then return {'state', status or 'missing'} end
redis.call('HSET', K.payment_status, payment_id, new_status)
redis.call('ZREM', K.payments_pending, payment_id)
if redis.call('HGET', K.hold_payment, hold_id) == payment_id then
  redis.call('HDEL', K.hold_payment, hold_id)
  if ARGV[4] == '1' then
    local raw = redis.call('HGET', K.holds, hold_id)
    if raw then release_hold(hold_id, cjson.decode(raw)) end
  end
end
if ARGV[5] == 'store' then
  finish_idempotency(tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]))
elseif ARGV[5] == 'forget' and K.idempotency then
  redis.call('DEL', K.idempotency)
end
return {'ok'}
