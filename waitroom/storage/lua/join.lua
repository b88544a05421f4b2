-- Join one queue in one step: the client's join limits, one place per visitor id, the pointer
-- settled, and what the fan's first status needs (so no view refresh follows a join).
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
-- KEYS[11] = join_limit_address? newest join times of the client's address (list); left off
--                                with KEYS[12] when the client is exempt or limits are off
-- KEYS[12] = join_limit_network? newest join times of the client's /24 or /64 (list)
-- ARGV[1] = default_burst        burst of a queue that has none of its own
-- ARGV[2] = queue_id
-- ARGV[3] = visitor_id
-- ARGV[4] = address_limit        joins allowed per window from one address (0: no limit)
-- ARGV[5] = address_window_ms
-- ARGV[6] = network_limit        joins allowed per window from one network (0: no limit)
-- ARGV[7] = network_window_ms
-- Returns {outcome, position, epoch, state, serving, tail, opened (0|1), redis_now_ms}, outcome
-- 'new', 'existing', 'prequeue', 'prequeue_existing', 'missing' (no queue) or the queue's state
-- when it takes nobody ('closed', 'sold_out'); or {'limited', 'address' | 'network',
-- retry_after_ms} when a join limit is reached (nothing else happened). Limits count joins that
-- made a place, in a moving window (as the `limits` library's moving window).
local visitor = ARGV[3]
local limited_keys = { K.join_limit_address, K.join_limit_network }
local limits = { tonumber(ARGV[4]) or 0, tonumber(ARGV[6]) or 0 }
local windows = { tonumber(ARGV[5]) or 0, tonumber(ARGV[7]) or 0 }
local scopes = { 'address', 'network' }

-- {'limited', scope, ms} when a window is full, else nil
local function over_limit()
  local now = now_ms()
  for i = 1, 2 do
    if limited_keys[i] and limits[i] > 0 then
      local oldest = redis.call('LINDEX', limited_keys[i], limits[i] - 1)
      if oldest and now - tonumber(oldest) < windows[i] then
        return { 'limited', scopes[i], tonumber(oldest) + windows[i] - now }
      end
    end
  end
  return nil
end

local function count_join()
  local now = now_ms()
  for i = 1, 2 do
    if limited_keys[i] and limits[i] > 0 then
      redis.call('LPUSH', limited_keys[i], now)
      redis.call('LTRIM', limited_keys[i], 0, limits[i] - 1)
      redis.call('PEXPIRE', limited_keys[i], windows[i])
    end
  end
end

local function answer(outcome, position)
  return { outcome, position, E.epoch, E.state, E.serving, E.tail, E.opened and 1 or 0, E.now }
end

local existing = redis.call('HGET', K.visitors, visitor)
if not existing then
  -- a new place: refused before any other work when the client is over its limit
  local limited = over_limit()
  if limited then
    return limited
  end
end
if not advance() then
  return { 'missing', 0, 0, '', 0, 0, 0, 0 }
end
if existing then
  local position = tonumber(existing)
  if position == 0 then
    return answer('prequeue_existing', 0)
  end
  -- a place the pointer skipped because its fan had gone: the returning fan queues again
  local skipped = position <= E.serving and redis.call('GETBIT', K.skipped, position) == 1
  if not skipped then
    return answer('existing', position)
  end
  local limited = over_limit()
  if limited then
    return limited
  end
end
if E.state == 'closed' or E.state == 'sold_out' then
  return answer(E.state, 0)
end
count_join()
set_counter('joined_total', counter('joined_total') + 1)
if not E.opened then
  redis.call('RPUSH', K.prequeue, visitor)
  redis.call('HSET', K.visitors, visitor, 0)
  save()
  return answer('prequeue', 0)
end
local position = E.tail + 1
E.tail = position
set_counter('tail', position)
redis.call('HSET', K.visitors, visitor, position)
mark_live({ position }) -- a new place starts live (abandonment tracking)
save()
return answer('new', position)
