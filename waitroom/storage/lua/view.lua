-- Settle and read one queue's state for the in-process view cache (waitroom/queue/view.py).
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
-- KEYS[13] = stock               totals over the events the queue fronts (hash)
-- ARGV[1] = default_burst        burst of a queue that has none of its own
-- ARGV[2] = queue_id
-- Returns {serving, tail, epoch, now_ms, opened (0|1), prequeue_length, config field/value
-- pairs, remaining_total (false before any stock report), admitted_total (live fans admitted:
-- skipped places excluded)}, or false when there is no queue.
if not advance() then
  return false
end
local prequeue_length = redis.call('LLEN', K.prequeue)
local remaining_total = redis.call('HGET', K.stock, 'remaining_total') or false
return { E.serving, E.tail, E.epoch, E.now, E.opened and 1 or 0, prequeue_length,
         redis.call('HGETALL', K.config), remaining_total, counter('admitted_total') }
