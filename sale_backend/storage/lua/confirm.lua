-- Turn a paid hold into an order. The hold id is the fencing token: the hold must still exist,
-- be unexpired (Redis clock) and be paid by this very payment, else nothing is sold.
-- ARGV: payment_id, hold_id, order_id, order_json, idempotency_ttl, response_json, then groups
-- (ticket_id, seat or '', short_code, details_json) for every ticket of the order.
-- Returns {'ok'} | {'done', order_id} | {'state', status} | {'expired'}
--       | {'collision', short_code} (nothing written: the caller draws new short codes)
local payment_id, hold_id, order_id, order_json = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local idempotency_ttl = tonumber(ARGV[5])
local status = redis.call('HGET', KEYS[7], payment_id)
if not status then return {'state', 'missing'} end
if string.sub(status, 1, 10) == 'fulfilled:' then return {'done', string.sub(status, 11)} end
if status ~= 'pending' then return {'state', status} end

local now = now_ms()
local raw = redis.call('HGET', KEYS[3], hold_id)
local expires_at = tonumber(redis.call('ZSCORE', KEYS[4], hold_id) or '0')
if not raw or expires_at <= now or redis.call('HGET', KEYS[6], hold_id) ~= payment_id then
  redis.call('HSET', KEYS[7], payment_id, 'refund_required')
  if raw and expires_at <= now then
    release_hold(hold_id, cjson.decode(raw))  -- expired anyway: back to stock now
  elseif raw and redis.call('HGET', KEYS[6], hold_id) == payment_id then
    redis.call('HDEL', KEYS[6], hold_id)
  end
  return {'expired'}
end

for index = 7, #ARGV, 4 do
  if short_code_taken(ARGV[index + 2], ARGV[index]) then return {'collision', ARGV[index + 2]} end
end

local hold = cjson.decode(raw)
for tier_id, quantity in pairs(hold.items) do
  move_stock(tier_id, quantity, 'held', 'sold')
end
local sold_tickets = {}
for index = 7, #ARGV, 4 do
  redis.call('HSET', KEYS[11], ARGV[index], 'valid')
  local seat = ARGV[index + 1]
  if seat ~= '' then redis.call('HSET', KEYS[2], seat, 'sold:' .. ARGV[index]) end
  register_ticket(ARGV[index], ARGV[index + 2], ARGV[index + 3])
  table.insert(sold_tickets, ARGV[index])
end
tickets_changed(sold_tickets)
redis.call('HSET', KEYS[10], order_id, order_json)
local previous = redis.call('HGET', KEYS[12], hold.buyer)
redis.call('HSET', KEYS[12], hold.buyer, previous and (previous .. ' ' .. order_id) or order_id)
redis.call('HDEL', KEYS[3], hold_id)
redis.call('ZREM', KEYS[4], hold_id)
redis.call('HDEL', KEYS[6], hold_id)
redis.call('HSET', KEYS[7], payment_id, 'fulfilled:' .. order_id)
redis.call('ZREM', KEYS[8], payment_id)
finish_idempotency(201, ARGV[6], idempotency_ttl)
return {'ok'}
