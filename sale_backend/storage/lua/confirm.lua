-- Turn a paid hold into an order. The hold id is the fencing token: the hold must still exist,
-- be unexpired (Redis clock) and be paid by this very payment, else nothing is sold. The order's
-- tickets e-mail is queued in the event's outbox in this same step (never an order without it).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- KEYS[7] = payment_status       payment id -> status (hash)
-- KEYS[8] = payments_pending     payment ids not settled yet (sorted set)
-- KEYS[9] = orders               order id -> order JSON (hash)
-- KEYS[10] = tickets             ticket id -> valid | used:<ms> | refunded (hash)
-- KEYS[11] = buyer_orders        buyer -> order ids (hash)
-- KEYS[12] = short_codes         short code -> ticket id (hash)
-- KEYS[13] = ticket_details      ticket id -> details JSON (hash)
-- KEYS[14] = ticket_changes      ticket id scored by its change version (sorted set)
-- KEYS[15] = mail_outbox         e-mail id -> due time, ms (sorted set; service_kit/mail_outbox.py)
-- KEYS[16] = mail_messages       e-mail id -> JSON payload (hash)
-- KEYS[17] = idempotency?        this request's Idempotency-Key record (hash); left off without an Idempotency-Key
-- ARGV[1] = payment_id
-- ARGV[2] = hold_id
-- ARGV[3] = order_id
-- ARGV[4] = order                order JSON
-- ARGV[5] = idempotency_ttl_seconds
-- ARGV[6] = response             the answer kept for the Idempotency-Key (JSON)
-- ARGV[7] = mail_id              the tickets e-mail's message id; '' queues no e-mail
-- ARGV[8] = mail_payload         its JSON payload (queued with the order, in this same step)
-- ARGV[9..] = tickets            groups (ticket_id, seat or '', short_code, details_json), one per ticket
-- Returns {'ok', time_us} | {'done', order_id} | {'state', status} | {'expired'}
--       | {'collision', short_code} (nothing written: the caller draws new short codes)
local payment_id, hold_id, order_id, order_json = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local idempotency_ttl = tonumber(ARGV[5])
local status = redis.call('HGET', K.payment_status, payment_id)
if not status then return {'state', 'missing'} end
if string.sub(status, 1, 10) == 'fulfilled:' then return {'done', string.sub(status, 11)} end
if status ~= 'pending' then return {'state', status} end

local now = now_ms()
local raw = redis.call('HGET', K.holds, hold_id)
local expires_at = tonumber(redis.call('ZSCORE', K.hold_expiry, hold_id) or '0')
if not raw or expires_at <= now or redis.call('HGET', K.hold_payment, hold_id) ~= payment_id then
  redis.call('HSET', K.payment_status, payment_id, 'refund_required')
  if raw and expires_at <= now then
    release_hold(hold_id, cjson.decode(raw))  -- expired anyway: back to stock now
  elseif raw and redis.call('HGET', K.hold_payment, hold_id) == payment_id then
    redis.call('HDEL', K.hold_payment, hold_id)
  end
  return {'expired'}
end

for index = 9, #ARGV, 4 do
  if short_code_taken(ARGV[index + 2], ARGV[index]) then return {'collision', ARGV[index + 2]} end
end

-- the tickets e-mail first: should the outbox refuse it (a key of another type), the script
-- stops before it wrote anything of the order
if ARGV[7] ~= '' then enqueue_mail(ARGV[7], ARGV[8]) end
local hold = cjson.decode(raw)
for tier_id, quantity in pairs(hold.items) do
  move_stock(tier_id, quantity, 'held', 'sold')
end
local sold_tickets = {}
for index = 9, #ARGV, 4 do
  redis.call('HSET', K.tickets, ARGV[index], 'valid')
  local seat = ARGV[index + 1]
  if seat ~= '' then redis.call('HSET', K.seats, seat, 'sold:' .. ARGV[index]) end
  register_ticket(ARGV[index], ARGV[index + 2], ARGV[index + 3])
  table.insert(sold_tickets, ARGV[index])
end
tickets_changed(sold_tickets)
redis.call('HSET', K.orders, order_id, order_json)
local previous = redis.call('HGET', K.buyer_orders, hold.buyer)
redis.call('HSET', K.buyer_orders, hold.buyer, previous and (previous .. ' ' .. order_id) or order_id)
redis.call('HDEL', K.holds, hold_id)
redis.call('ZREM', K.hold_expiry, hold_id)
redis.call('HDEL', K.hold_payment, hold_id)
redis.call('HSET', K.payment_status, payment_id, 'fulfilled:' .. order_id)
redis.call('ZREM', K.payments_pending, payment_id)
finish_idempotency(201, ARGV[6], idempotency_ttl)
-- the Redis time of the sale, as stock_snapshot.lua versions the stock reports
local t = redis.call('TIME')
return {'ok', t[1] .. string.format('%06d', tonumber(t[2]))}
