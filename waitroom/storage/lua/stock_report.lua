-- One event's stock report (contract section 5), after the stock_state.lua prelude.
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
-- KEYS[13] = stock               totals over the events (hash)
-- KEYS[14] = stock_events        event id -> its figures (JSON) (hash)
-- KEYS[15] = sales_per_minute    unix minute -> tickets sold (hash)
-- KEYS[16] = stock_removed       event ids the organizer removed (set)
-- KEYS[17] = waitlist           visitor id -> place, fans on the waiting list (sorted set)
-- KEYS[18] = waitlist_offers    visitor id -> deadline of open offers (sorted set)
-- ARGV[1] = default_burst        burst of a queue that has none of its own
-- ARGV[2] = queue_id
-- ARGV[3] = event_id
-- ARGV[4] = figures              the event's figures (JSON)
-- ARGV[5] = version              the report's version (-1: none)
-- ARGV[6] = now_seconds          unix s
-- ARGV[7] = sales_ttl_seconds
-- ARGV[8..] = sales              unix minute, tickets sold pairs
-- Returns {'ok', state, remaining_total, changed, stale} | {'missing'} | {'removed'}
if redis.call('EXISTS', K.config) == 0 then
  return { 'missing' }
end
local event_id = ARGV[3]
if redis.call('SISMEMBER', K.stock_removed, event_id) == 1 then
  return { 'removed' }
end
local version = tonumber(ARGV[5])
local stale = 0
if version >= 0 then
  local stored = redis.call('HGET', K.stock_events, event_id)
  if stored then
    local stored_version = tonumber(cjson.decode(stored).version)
    if stored_version and stored_version > version then
      stale = 1 -- a newer report arrived first: keep its figures
    end
  end
end
if stale == 0 then
  redis.call('HSET', K.stock_events, event_id, ARGV[4])
end
if #ARGV >= 8 then
  for index = 8, #ARGV, 2 do
    redis.call('HINCRBY', K.sales_per_minute, ARGV[index], ARGV[index + 1])
  end
  redis.call('EXPIRE', K.sales_per_minute, tonumber(ARGV[7]))
end
local settled = settle_stock(ARGV[6])
return { 'ok', settled[1], settled[2], settled[3], stale }
