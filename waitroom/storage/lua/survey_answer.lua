-- Record one fan's answers to one survey, once per visitor, and count them atomically.
-- KEYS[1] answers hash (visitor -> JSON), KEYS[2] counts hash, KEYS[3..] text-answer lists.
-- ARGV[1] visitor id, ARGV[2] answers JSON, ARGV[3] n count fields, ARGV[4..3+n] the fields,
-- then one text per text-answer list, ARGV[last] how many texts to keep per list.
-- Returns 1 when recorded, 0 when this visitor had already answered.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
local count = tonumber(ARGV[3])
for i = 4, 3 + count do
  redis.call('HINCRBY', KEYS[2], ARGV[i], 1)
end
local keep = tonumber(ARGV[#ARGV])
for k = 3, #KEYS do
  redis.call('LPUSH', KEYS[k], ARGV[3 + count + k - 2])
  redis.call('LTRIM', KEYS[k], 0, keep - 1)
end
return 1
