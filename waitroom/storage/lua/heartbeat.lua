-- Flush of the heartbeats one process collected since its last flush (see heartbeats.py).
-- ARGV: positions seen polling. Returns how many bits were set (0 when tracking is off).
local positions = {}
for i = 1, #ARGV do
  local position = tonumber(ARGV[i])
  if position and position > 0 then
    positions[#positions + 1] = position
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
return mark_live(KEYS[2], positions, now_ms())
