-- Create or update a queue. Settles the serving pointer at the old settings first, so a rate
-- change applies from this instant and a resume never releases a burst of banked capacity.
-- KEYS[1] = config               the queue's settings (hash)
-- KEYS[2] = counters             tail, serving, epoch... (hash)
-- KEYS[3] = visitors             visitor id -> place (hash)
-- KEYS[4] = prequeue             visitor ids that came before opening (list)
-- KEYS[5] = heartbeats           live places, even windows (bitmap)
-- KEYS[6] = heartbeats_b         live places, odd windows (bitmap)
-- KEYS[7] = left                 places given up (bitmap)
-- KEYS[8] = skipped              places the pointer passed because their fan had gone (bitmap)
-- KEYS[9] = abandoned_total      count of skipped places (string)
-- KEYS[10] = active_sessions     pass id -> session deadline (sorted set)
-- KEYS[11] = away               places skipped while their fan was away -> when (ms) (sorted set)
-- KEYS[12] = returned           away fans who came back in the grace -> when (ms) (sorted set)
-- ARGV[1] = default_burst        burst of a queue that has none of its own
-- ARGV[2] = queue_id
-- ARGV[3] = epoch                the new queue's epoch (used only on creation)
-- ARGV[4..] = fields             field, value pairs of the config hash
-- Returns 1 when the queue was created, 0 when it was updated.
local created = 0
if redis.call('EXISTS', K.config) == 0 then
  created = 1
  redis.call('HSET', K.counters, 'tail', 0, 'serving', 0, 'credit', 0, 'epoch', ARGV[3],
             'joined_total', 0)
  redis.call('HDEL', K.counters, 'opened', 'last_ms')
else
  advance()
end
local fields = {}
for i = 4, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'state' then
    -- the organizer decided: a stock report no longer reopens the queue (stock_state.lua)
    redis.call('HDEL', K.config, 'sold_out_by_stock')
  end
end
if #fields > 0 then
  redis.call('HSET', K.config, unpack(fields))
end
-- settle again under the new settings: sets last_ms = now, opens the queue when due
advance()
return created
