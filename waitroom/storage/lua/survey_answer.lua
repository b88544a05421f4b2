-- Record one fan's answers to one survey, once per visitor, and count them atomically.
-- KEYS[1] = survey_answers       visitor -> JSON answers (hash)
-- KEYS[2] = survey_counts        answer counts (hash)
-- KEYS[3..] = survey_texts       one list of newest texts per text answer given
-- ARGV[1] = visitor_id
-- ARGV[2] = answers              JSON
-- ARGV[3] = count_field_count    n
-- ARGV[4..] = fields             n count fields, then one text per text list, then how many
--                                texts to keep per list
-- Returns 1 when recorded, 0 when this visitor had already answered.
if redis.call('HSETNX', K.survey_answers, ARGV[1], ARGV[2]) == 0 then
  return 0
end
local count = tonumber(ARGV[3])
for i = 4, 3 + count do
  redis.call('HINCRBY', K.survey_counts, ARGV[i], 1)
end
local keep = tonumber(ARGV[#ARGV])
for k = 3, #KEYS do
  redis.call('LPUSH', KEYS[k], ARGV[3 + count + k - 2])
  redis.call('LTRIM', KEYS[k], 0, keep - 1)
end
return 1
