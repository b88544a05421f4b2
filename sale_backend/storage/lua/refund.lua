-- Refund tickets of an order: stock returns, seats free up, the buyer's limit is credited, and a
-- refund record is written (pending until the payment provider confirms).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[4] = orders               order id -> order JSON (hash)
-- KEYS[5] = tickets              ticket id -> valid | used:<ms> | refunded (hash)
-- KEYS[6] = refunds              refund id -> refund JSON (hash)
-- KEYS[7] = refunds_pending      refunds not confirmed yet (sorted set)
-- KEYS[8] = ticket_changes       ticket id scored by its change version (sorted set)
-- ARGV[1] = order_id
-- ARGV[2] = refund_id
-- ARGV[3] = now_seconds          unix s
-- ARGV[4..] = ticket_ids         the tickets to refund (none = every valid ticket)
-- Returns {'ok', amount_minor, refund_json} | {'missing'} | {'ticket', ticket_id, state}
--       | {'nothing'}
local order_id, refund_id = ARGV[1], ARGV[2]
local raw = redis.call('HGET', K.orders, order_id)
if not raw then return {'missing'} end
local order = cjson.decode(raw)
local wanted = {}
local explicit = #ARGV > 3
for index = 4, #ARGV do wanted[ARGV[index]] = true end
local chosen = {}
for _, ticket in ipairs(order.tickets) do
  local state = redis.call('HGET', K.tickets, ticket.ticket_id)
  if explicit then
    if wanted[ticket.ticket_id] then
      if state ~= 'valid' then return {'ticket', ticket.ticket_id, state or 'missing'} end
      table.insert(chosen, ticket)
      wanted[ticket.ticket_id] = nil
    end
  elseif state == 'valid' then
    table.insert(chosen, ticket)
  end
end
for ticket_id, _ in pairs(wanted) do return {'ticket', ticket_id, 'not_in_order'} end
if #chosen == 0 then return {'nothing'} end
local amount = 0
local ticket_ids = {}
for _, ticket in ipairs(chosen) do
  redis.call('HSET', K.tickets, ticket.ticket_id, 'refunded')
  move_stock(ticket.tier_id, 1, 'sold', 'remaining')
  if ticket.seat_id and ticket.seat_id ~= '' then redis.call('HSET', K.seats, ticket.seat_id, 'free') end
  amount = amount + ticket.price_minor
  table.insert(ticket_ids, ticket.ticket_id)
end
credit_buyer(order.buyer, #chosen)
tickets_changed(ticket_ids)
local refund_json = cjson.encode({
  refund_id = refund_id, order_id = order_id, payment_id = order.payment_id,
  amount_minor = amount, currency = order.currency, ticket_ids = ticket_ids,
  created_at = tonumber(ARGV[3])
})
redis.call('HSET', K.refunds, refund_id, refund_json)
redis.call('ZADD', K.refunds_pending, now_ms(), refund_id)
return {'ok', amount, refund_json}
