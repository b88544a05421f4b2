-- A fan whose place the pointer passed asks for the pass (waitroom/queue/away.py): was the place
-- skipped while the fan was away, and is the fan back within the queue's grace?
-- KEYS[1] = config               the queue's settings (hash): away_grace_seconds
-- KEYS[2] = skipped              places the pointer passed because their fan had gone (bitmap)
-- KEYS[3] = away                 places skipped while their fan was away -> when (ms) (sorted set)
-- KEYS[4] = returned             away fans who came back in the grace -> when (ms) (sorted set)
-- ARGV[1] = position
-- ARGV[2] = default_grace_seconds grace of a queue that has none of its own
-- Returns {outcome, ahead}: 'admitted' (not skipped, or readmitted: the pass may be issued),
-- 'returning' (back within the grace: admitted at the next admission step; ahead = fans who
-- came back before) or 'expired' (away longer than the grace: the place is given up).
local position = tonumber(ARGV[1])
if redis.call('GETBIT', K.skipped, position) == 0 then
  return { 'admitted', 0 }
end
local rank = redis.call('ZRANK', K.returned, position)
if rank then
  return { 'returning', rank }
end
local grace = tonumber(redis.call('HGET', K.config, 'away_grace_seconds') or '')
  or tonumber(ARGV[2])
local skipped_at = tonumber(redis.call('ZSCORE', K.away, position) or '')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not skipped_at or grace <= 0 or now - skipped_at > grace * 1000 then
  redis.call('ZREM', K.away, position)
  return { 'expired', 0 }
end
redis.call('ZADD', K.returned, now, position)
return { 'returning', redis.call('ZRANK', K.returned, position) }
