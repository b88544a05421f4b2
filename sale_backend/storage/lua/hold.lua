-- Create a hold: atomically checks tier stock, seat states and the buyer's limit, then moves
-- tickets from remaining to held (expired holds are released first).
-- KEYS[1] = stock                per tier capacity/remaining/held/sold and totals (hash)
-- KEYS[2] = seats                seat id -> free | held:<hold> | sold:<ticket> (hash)
-- KEYS[3] = holds                hold id -> hold JSON (hash)
-- KEYS[4] = hold_expiry          hold id scored by expiry ms (sorted set)
-- KEYS[5] = buyers               buyer -> tickets held or bought (hash)
-- KEYS[6] = hold_payment         hold id -> the payment paying for it (hash)
-- ARGV[1] = hold_id
-- ARGV[2] = hold                 hold JSON (buyer, items, seats, units, amount)
-- ARGV[3] = ttl_ms
-- ARGV[4] = buyer_limit          tickets one buyer may hold or buy
-- Returns {'ok', expires_at_ms} | {'sold_out', tier_id, remaining} | {'seat_taken', seat}
--       | {'limit', already_counted} | {'unknown_tier', tier_id}
local now = now_ms()
expire_due(now, 100)
return create_hold(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), now)
