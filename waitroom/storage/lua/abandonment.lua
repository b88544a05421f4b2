-- Prelude (after engine.lua): abandonment and the active-shopper cap (docs/security.md).
-- Keys (see engine.lua): heartbeats / heartbeats_b are two bitmaps, one bit per position, for
-- alternating windows of `abandon_after_seconds` (the window each holds is in the counters
-- hb_window_a / hb_window_b); a fan is live when its bit is set in the current or the previous
-- window. left: the fan pressed "leave the queue". skipped: the pointer passed this place
-- because it was abandoned. abandoned_total counts skipped places (dashboard).
-- active_sessions: pass id -> session deadline (unix s), see waitroom/queue/pass_records.py.
local MAX_CATCHUP_MS = 30000 -- used by advance(): the most time one advance may admit for
local MIN_ABANDON_MS = 2000 -- keep it >= 3 poll intervals in production (docs/security.md)
local MAX_SKIPS_PER_CALL = 20000 -- bounds the script's run time; the rest waits for the next call
local BITS_PER_CALL = 1000 -- positions marked by one BITFIELD (within Lua's unpack limit)

local function abandon_period_ms()
  local seconds = E.abandon_after_seconds
  if seconds <= 0 then
    if E.c.hb_period_ms then
      delete_counter('hb_period_ms') -- turning it on again starts afresh
    end
    return 0
  end
  local period = math.max(MIN_ABANDON_MS, math.floor(seconds * 1000))
  if counter('hb_period_ms') ~= period then
    -- (re)start tracking: nobody counts as gone before one full period was watched
    redis.call('DEL', K.heartbeats, K.heartbeats_b)
    set_counter('hb_period_ms', period)
    set_counter('hb_since_ms', E.now)
    set_counter('hb_window_a', -1)
    set_counter('hb_window_b', -1)
  end
  return period
end

-- Called by advance() with the previous last_ms: when nobody read the queue for a while
-- (store outage, every process down) heartbeats could not be recorded, so the engine watches
-- one full period again before it judges anyone.
local function watch_gap(last_ms)
  if not last_ms then
    return
  end
  local period = counter('hb_period_ms')
  if period > 0 and E.now - tonumber(last_ms) > period / 2 then
    set_counter('hb_since_ms', E.now)
  end
end

-- The bitmap holding window `w`, or nil when it holds another window.
local function heartbeat_key(w, for_write)
  local side = (w % 2 == 0) and 'a' or 'b'
  local key = side == 'a' and K.heartbeats or K.heartbeats_b
  local field = 'hb_window_' .. side
  if tonumber(E.c[field] or '-1') ~= w then
    if not for_write then
      return nil
    end
    redis.call('DEL', key)
    set_counter(field, w)
  end
  return key
end

-- Marks positions as live in the current window (join, opening, heartbeat flush).
local function mark_live(positions)
  local period = abandon_period_ms()
  if period == 0 or #positions == 0 then
    return 0
  end
  local key = heartbeat_key(math.floor(E.now / period), true)
  -- one BITFIELD per BITS_PER_CALL positions instead of a SETBIT each
  for first = 1, #positions, BITS_PER_CALL do
    local fields = {}
    for i = first, math.min(#positions, first + BITS_PER_CALL - 1) do
      fields[#fields + 1] = 'SET'
      fields[#fields + 1] = 'u1'
      fields[#fields + 1] = positions[i]
      fields[#fields + 1] = 1
    end
    redis.call('BITFIELD', key, unpack(fields))
  end
  redis.call('PEXPIRE', key, period * 3)
  return #positions
end

-- 'left' (the fan gave the place up), 'away' (no heartbeat in the current or previous window)
-- or false (live).
local function is_gone(position, current_key, previous_key, judging)
  if redis.call('GETBIT', K.left, position) == 1 then
    return 'left'
  end
  if not judging then
    return false
  end
  if current_key and redis.call('GETBIT', current_key, position) == 1 then
    return false
  end
  if previous_key and redis.call('GETBIT', previous_key, position) == 1 then
    return false
  end
  return 'away'
end

-- Moves the pointer by `whole` LIVE places: assigned places (<= tail) whose fan left or
-- stopped polling are skipped without using the rate, so the admission rate counts live fans
-- only (the exact-rate property holds in live fans). Places beyond the tail (the burst room)
-- are taken as before. A place skipped because its fan was away is kept in `away` with the
-- time, for the queue's grace (the fan who comes back is admitted first, advance.lua). Returns
-- the new pointer, the places not moved (carried as credit) and the live fans admitted.
local function move_pointer(serving, whole, tail, limit)
  if E.shopper_cap > 0 then
    local live = redis.call('ZCOUNT', K.active_sessions, math.floor(E.now / 1000), '+inf')
    if live >= E.shopper_cap then
      return serving, 0, 0
    end
  end
  local period = abandon_period_ms()
  local judging = false
  local current_key, previous_key
  if period > 0 then
    local since = tonumber(E.c.hb_since_ms or tostring(E.now))
    judging = E.now - since >= period
    local w = math.floor(E.now / period)
    current_key = heartbeat_key(w, false)
    previous_key = heartbeat_key(w - 1, false)
  end
  local skips = 0
  local admitted = 0
  local keeps_places = E.away_grace_ms > 0
  while whole > 0 and serving < tail and skips < MAX_SKIPS_PER_CALL do
    serving = serving + 1
    local gone = is_gone(serving, current_key, previous_key, judging)
    if gone then
      skips = skips + 1
      redis.call('SETBIT', K.skipped, serving, 1)
      if gone == 'away' and keeps_places then
        redis.call('ZADD', K.away, E.now, serving)
      end
    else
      whole = whole - 1
      admitted = admitted + 1
    end
  end
  if skips > 0 then
    redis.call('INCRBY', K.abandoned_total, skips)
  end
  if skips >= MAX_SKIPS_PER_CALL then
    return serving, whole, admitted
  end
  return math.max(serving, math.min(serving + whole, limit)), 0, admitted
end
