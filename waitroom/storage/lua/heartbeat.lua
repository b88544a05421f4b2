-- Flush of the heartbeats one process collected since its last flush (waitroom/queue/heartbeats.py).
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
-- ARGV[3..] = positions          places seen polling
-- Returns how many bits were set (0 when tracking is off or there is no queue).
local positions = {}
for i = 3, #ARGV do
  local position = tonumber(ARGV[i])
  if position and position > 0 then
    positions[#positions + 1] = position
  end
end
if not load_engine() then
  return 0
end
local marked = mark_live(positions)
save()
return marked
