-- Release holds. ARGV[1] = 'expired' (sweep; ARGV[2] = max count) or 'cancel' (ARGV[2] hold id,
-- ARGV[3] buyer; a hold with a payment in flight cannot be cancelled).
-- Returns {'ok', released_count} | {'missing'} | {'paying'}
local now = now_ms()
if ARGV[1] == 'expired' then
  return {'ok', expire_due(now, tonumber(ARGV[2]))}
end
local hold_id, buyer = ARGV[2], ARGV[3]
local raw = redis.call('HGET', KEYS[3], hold_id)
if not raw then return {'missing'} end
local hold = cjson.decode(raw)
if hold.buyer ~= buyer then return {'missing'} end
if redis.call('HEXISTS', KEYS[6], hold_id) == 1 then return {'paying'} end
release_hold(hold_id, hold)
return {'ok', 1}
