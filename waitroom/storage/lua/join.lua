-- Join one queue: one place per visitor id.
-- ARGV[1] default burst, ARGV[2] visitor id.
-- Returns {outcome, position, epoch, state}; outcome is 'new', 'existing', 'prequeue',
-- 'prequeue_existing', or 'missing' / the queue state when joining is not possible.
local result = advance(tonumber(ARGV[1]))
if not result then
  return { 'missing', 0, 0, '' }
end
local serving, tail, epoch, now, state = result[1], result[2], result[3], result[4], result[5]
local visitor = ARGV[2]
local existing = redis.call('HGET', KEYS[3], visitor)
if existing then
  local position = tonumber(existing)
  if position == 0 then
    return { 'prequeue_existing', 0, epoch, state }
  end
  -- a place the pointer skipped because its fan had gone: the returning fan queues again
  local skipped = position <= serving
    and redis.call('GETBIT', queue_part('skipped'), position) == 1
  if not skipped then
    return { 'existing', position, epoch, state }
  end
end
if state == 'closed' or state == 'sold_out' then
  return { state, 0, epoch, state }
end
local opened = redis.call('HGET', KEYS[2], 'opened') == '1'
if not opened then
  redis.call('RPUSH', KEYS[4], visitor)
  redis.call('HSET', KEYS[3], visitor, 0)
  redis.call('HINCRBY', KEYS[2], 'joined_total', 1)
  return { 'prequeue', 0, epoch, state }
end
local position = redis.call('HINCRBY', KEYS[2], 'tail', 1)
redis.call('HSET', KEYS[3], visitor, position)
mark_live(KEYS[2], { position }, now) -- a new place starts live (abandonment tracking)
redis.call('HINCRBY', KEYS[2], 'joined_total', 1)
return { 'new', position, epoch, state }
