-- Release holds: the expired ones (a sweep), or one the buyer cancels (a hold with a payment
-- in flight cannot be cancelled).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- ARGV[1] = mode                 'expired' | 'cancel'
-- ARGV[2] = target               expired: the most holds to release; cancel: the hold id
-- ARGV[3] = buyer                cancel: the buyer (absent for a sweep)
-- Returns {'ok', released_count} | {'missing'} | {'paying'}
local now = now_ms()
if ARGV[1] == 'expired' then
  return {'ok', expire_due(now, tonumber(ARGV[2]))}
end
local hold_id, buyer = ARGV[2], ARGV[3]
local raw = redis.call('HGET', K.holds, hold_id)
if not raw then return {'missing'} end
local hold = cjson.decode(raw)
if hold.buyer ~= buyer then return {'missing'} end
if redis.call('HEXISTS', K.hold_payment, hold_id) == 1 then return {'paying'} end
release_hold(hold_id, hold)
return {'ok', 1}
