-- Prepended to advance.lua (see admission.py): abandonment and the active-shopper cap.
-- Needs nothing from advance.lua; advance() and open_prequeue() call move_pointer/mark_live.
-- == Abandonment and the active-shopper cap (docs/security.md) ==========================
-- These keys are derived from KEYS[1] (same `wr:{q:<id>}:` prefix, so the same cluster slot):
--   heartbeats / heartbeats_b  two bitmaps, one bit per position, for alternating windows of
--                              `abandon_after_seconds`; the window each holds is in counters
--                              (hb_window_a / hb_window_b). A fan is live when its bit is set
--                              in the current or the previous window.
--   left                       bitmap: the fan pressed "leave the queue"
--   mail_alert                 bitmap: the fan asked for the your-turn e-mail (never judged gone)
--   skipped                    bitmap: the pointer passed this place because it was abandoned
--   abandoned_total            string counter of skipped places (dashboard)
--   active_sessions            sorted set pass id -> session expiry (unix s), see pass_registry.py
local MAX_CATCHUP_MS = 30000 -- used by advance(): the most time one advance may admit for
local MIN_ABANDON_MS = 2000 -- keep it >= 3 poll intervals in production (docs/security.md)
local MAX_SKIPS_PER_CALL = 20000 -- bounds the script's run time; the rest waits for the next call

local function queue_part(name)
  return string.sub(KEYS[1], 1, #KEYS[1] - 6) .. name -- KEYS[1] ends with 'config'
end

local function abandon_period_ms(counters_key, now)
  local seconds = tonumber(redis.call('HGET', KEYS[1], 'abandon_after_seconds') or '0') or 0
  if seconds <= 0 then
    if redis.call('HEXISTS', counters_key, 'hb_period_ms') == 1 then
      redis.call('HDEL', counters_key, 'hb_period_ms') -- turning it on again starts afresh
    end
    return 0
  end
  local period = math.max(MIN_ABANDON_MS, math.floor(seconds * 1000))
  if tonumber(redis.call('HGET', counters_key, 'hb_period_ms') or '0') ~= period then
    -- (re)start tracking: nobody counts as gone before one full period was watched
    redis.call('DEL', queue_part('heartbeats'), queue_part('heartbeats_b'))
    redis.call('HSET', counters_key, 'hb_period_ms', period, 'hb_since_ms', now,
               'hb_window_a', -1, 'hb_window_b', -1)
  end
  return period
end

-- Called by advance() with the previous last_ms: when nobody read the queue for a while
-- (store outage, every process down) heartbeats could not be recorded, so the engine watches
-- one full period again before it judges anyone.
local function watch_gap(counters_key, last_ms, now)
  if not last_ms then
    return
  end
  local period = tonumber(redis.call('HGET', counters_key, 'hb_period_ms') or '0') or 0
  if period > 0 and now - tonumber(last_ms) > period / 2 then
    redis.call('HSET', counters_key, 'hb_since_ms', now)
  end
end

-- The bitmap holding window `w`, or nil when it holds another window.
local function heartbeat_key(counters_key, w, for_write)
  local side = (w % 2 == 0) and 'a' or 'b'
  local key = queue_part(side == 'a' and 'heartbeats' or 'heartbeats_b')
  local field = 'hb_window_' .. side
  if tonumber(redis.call('HGET', counters_key, field) or '-1') ~= w then
    if not for_write then
      return nil
    end
    redis.call('DEL', key)
    redis.call('HSET', counters_key, field, w)
  end
  return key
end

-- Marks positions as live in the current window (join, opening, heartbeat flush).
local function mark_live(counters_key, positions, now)
  local period = abandon_period_ms(counters_key, now)
  if period == 0 or #positions == 0 then
    return 0
  end
  local key = heartbeat_key(counters_key, math.floor(now / period), true)
  for i = 1, #positions do
    redis.call('SETBIT', key, positions[i], 1)
  end
  redis.call('PEXPIRE', key, period * 3)
  return #positions
end

local function is_gone(position, left_key, current_key, previous_key, judging)
  if redis.call('GETBIT', left_key, position) == 1 then
    return true
  end
  if not judging then
    return false
  end
  -- a fan who asked for the your-turn e-mail may close the page: the e-mail calls them back
  if redis.call('GETBIT', queue_part('mail_alert'), position) == 1 then
    return false
  end
  if current_key and redis.call('GETBIT', current_key, position) == 1 then
    return false
  end
  if previous_key and redis.call('GETBIT', previous_key, position) == 1 then
    return false
  end
  return true
end

-- Moves the pointer by `whole` LIVE places: assigned places (<= tail) whose fan left or
-- stopped polling are skipped without using the rate, so the admission rate counts live fans
-- only (the exact-rate property holds in live fans). Places beyond the tail (the burst room)
-- are taken as before. Returns the new pointer and the places not moved (carried as credit).
local function move_pointer(counters_key, serving, whole, tail, limit, now)
  local cap = tonumber(redis.call('HGET', KEYS[1], 'active_shopper_cap') or '0') or 0
  if cap > 0 then
    local live = redis.call('ZCOUNT', queue_part('active_sessions'), math.floor(now / 1000), '+inf')
    if live >= cap then
      return serving, 0
    end
  end
  local period = abandon_period_ms(counters_key, now)
  local judging = false
  local current_key, previous_key
  if period > 0 then
    local since = tonumber(redis.call('HGET', counters_key, 'hb_since_ms') or tostring(now))
    judging = now - since >= period
    local w = math.floor(now / period)
    current_key = heartbeat_key(counters_key, w, false)
    previous_key = heartbeat_key(counters_key, w - 1, false)
  end
  local left_key, skipped_key = queue_part('left'), queue_part('skipped')
  local skips = 0
  while whole > 0 and serving < tail and skips < MAX_SKIPS_PER_CALL do
    serving = serving + 1
    if is_gone(serving, left_key, current_key, previous_key, judging) then
      skips = skips + 1
      redis.call('SETBIT', skipped_key, serving, 1)
    else
      whole = whole - 1
    end
  end
  if skips > 0 then
    redis.call('INCRBY', queue_part('abandoned_total'), skips)
  end
  if skips >= MAX_SKIPS_PER_CALL then
    return serving, whole
  end
  return math.max(serving, math.min(serving + whole, limit)), 0
end
