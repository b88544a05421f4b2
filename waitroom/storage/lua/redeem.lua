-- Redeem a priority/invite code for one visitor, atomically (single-use codes stay single-use
-- under any concurrency).
-- KEYS[1] = code                 the code (hash)
-- KEYS[2] = code_redeemers       visitor -> unix s (hash)
-- KEYS[3] = lanes                visitor -> priority place, or 0 for bypass (hash)
-- KEYS[4] = counters             the queue's counters: priority_tail (hash)
-- KEYS[5] = config               the queue's settings (hash)
-- ARGV[1] = visitor_id
-- ARGV[2] = now_seconds          unix s
-- Returns {outcome, kind, priority_place, uses}; outcome is 'redeemed', 'already', 'unknown',
-- 'revoked', 'exhausted' or 'missing' (no such queue).
if redis.call('EXISTS', K.config) == 0 then
  return { 'missing', '', 0, 0 }
end
local code = redis.call('HMGET', K.code, 'kind', 'max_uses', 'uses', 'revoked')
local kind = code[1]
if not kind then
  return { 'unknown', '', 0, 0 }
end
local uses = tonumber(code[3]) or 0
local visitor = ARGV[1]
local lane = redis.call('HGET', K.lanes, visitor)
local place = tonumber(lane or '0')
if redis.call('HEXISTS', K.code_redeemers, visitor) == 1 then
  -- the same fan again (reload, retry): same answer, no second use counted
  return { 'already', kind, place, uses }
end
if code[4] == '1' then
  return { 'revoked', kind, 0, uses }
end
local max_uses = tonumber(code[2]) or 1
if max_uses > 0 and uses >= max_uses then
  return { 'exhausted', kind, 0, uses }
end
if kind == 'priority' and lane then
  -- already in a lane through another code: keep the place (or bypass), spend nothing
  return { 'already', kind, place, uses }
end
uses = redis.call('HINCRBY', K.code, 'uses', 1)
redis.call('HSET', K.code_redeemers, visitor, ARGV[2])
if kind == 'priority' then
  place = redis.call('HINCRBY', K.counters, 'priority_tail', 1)
  redis.call('HSET', K.lanes, visitor, place)
else
  place = 0
  redis.call('HSET', K.lanes, visitor, 0)
end
return { 'redeemed', kind, place, uses }
