-- The organizer removes an event from the queue: its figures go, its later reports are
-- refused, and the queue's state follows the remaining events (stock_state.lua prelude).
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
-- ARGV[4] = now_seconds          unix s
-- Returns {'ok', state, remaining_total, changed, removed (0|1)} | {'missing'}
if redis.call('EXISTS', K.config) == 0 then
  return { 'missing' }
end
local removed = redis.call('HDEL', K.stock_events, ARGV[3])
redis.call('SADD', K.stock_removed, ARGV[3])
local settled = settle_stock(ARGV[4])
return { 'ok', settled[1], settled[2], settled[3], removed }
