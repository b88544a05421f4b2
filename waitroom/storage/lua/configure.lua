-- Create or update a queue. Settles the serving pointer at the old rate first, so a rate
-- change applies from this instant and a resume never releases a burst of banked capacity.
-- ARGV[1] default burst, ARGV[2] new epoch (used only on creation), ARGV[3..] field, value pairs.
local created = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  created = 1
  redis.call('HSET', KEYS[2], 'tail', 0, 'serving', 0, 'credit', 0, 'epoch', ARGV[2],
             'joined_total', 0)
  redis.call('HDEL', KEYS[2], 'opened', 'last_ms')
else
  advance(tonumber(ARGV[1]))
end
local fields = {}
for i = 3, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'state' then
    -- the organizer decided: a stock report no longer reopens the queue (stock_state.lua)
    redis.call('HDEL', KEYS[1], 'sold_out_by_stock')
  end
end
if #fields > 0 then
  redis.call('HSET', KEYS[1], unpack(fields))
end
-- settle again under the new settings: sets last_ms = now, opens the queue when due
advance(tonumber(ARGV[1]))
return created
