-- One event's stock report (contract section 5). Keys: see stock_state.lua.
-- ARGV[1] default burst, ARGV[2] event id, ARGV[3] the event's figures (JSON),
-- ARGV[4] the report's version (-1: none), ARGV[5] now (unix s),
-- ARGV[6] sales TTL (s), ARGV[7..] unix minute, tickets sold pairs.
-- Returns {'ok', state, remaining_total, changed, stale} | {'missing'} | {'removed'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'missing' }
end
local event_id = ARGV[2]
if redis.call('SISMEMBER', KEYS[8], event_id) == 1 then
  return { 'removed' }
end
local version = tonumber(ARGV[4])
local stale = 0
if version >= 0 then
  local stored = redis.call('HGET', KEYS[6], event_id)
  if stored then
    local stored_version = tonumber(cjson.decode(stored).version)
    if stored_version and stored_version > version then
      stale = 1 -- a newer report arrived first: keep its figures
    end
  end
end
if stale == 0 then
  redis.call('HSET', KEYS[6], event_id, ARGV[3])
end
if #ARGV >= 7 then
  for index = 7, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[7], ARGV[index], ARGV[index + 1])
  end
  redis.call('EXPIRE', KEYS[7], tonumber(ARGV[6]))
end
local settled = settle_stock(tonumber(ARGV[1]), ARGV[5])
return { 'ok', settled[1], settled[2], settled[3], stale }
