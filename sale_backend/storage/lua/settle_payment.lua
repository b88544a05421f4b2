-- Settle a payment that did not become an order: declined, refunded after a lost hold, or
-- never charged (abandoned). ARGV: payment_id, hold_id, new_status, release_hold (0|1),
-- idempotency ('store' status body ttl | 'forget' | 'keep').
-- Returns {'ok'} | {'state', status}
local payment_id, hold_id, new_status = ARGV[1], ARGV[2], ARGV[3]
local status = redis.call('HGET', KEYS[7], payment_id)
if not status or string.sub(status, 1, 10) == 'fulfilled:' then return {'state', status or 'missing'} end
redis.call('HSET', KEYS[7], payment_id, new_status)
redis.call('ZREM', KEYS[8], payment_id)
if redis.call('HGET', KEYS[6], hold_id) == payment_id then
  redis.call('HDEL', KEYS[6], hold_id)
  if ARGV[4] == '1' then
    local raw = redis.call('HGET', KEYS[3], hold_id)
    if raw then release_hold(hold_id, cjson.decode(raw)) end
  end
end
if ARGV[5] == 'store' then
  finish_idempotency(tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]))
elseif ARGV[5] == 'forget' then
  redis.call('DEL', KEYS[15])
end
return {'ok'}
