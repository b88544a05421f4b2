-- Shared prelude: advance the serving pointer of one queue to "now" (Redis TIME).
-- KEYS[1] config hash, KEYS[2] counters hash, KEYS[3] visitors hash, KEYS[4] prequeue list.
-- The pointer moves by exactly floor(rate * elapsed_ms / 60000) plus the carried remainder,
-- whichever process calls, so the overall rate is exact with any number of processes.
-- It never runs more than `burst` ahead of the tail: an idle queue banks no capacity.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Published pre-queue id of a visitor: sha1("waitroom-prequeue:" .. queue_id .. ":" .. visitor_id).
-- The list of these hashes is public before opening (waitroom/prequeue_publication.py); the raw
-- visitor ids (cookie values) are never published, and the queue id keeps queues unlinkable.
local function prequeue_hash(config_key, visitor_id)
  local queue_id = string.match(config_key, '{q:(.-)}') or ''
  return redis.sha1hex('waitroom-prequeue:' .. queue_id .. ':' .. visitor_id)
end

-- Fair opening: everyone who joined before opens_at gets a place in the order of
-- sha1(seed .. hashed_id) (ties by hashed_id), which anyone can recompute from the published
-- hashed ids once the seed (committed as shuffle_seed_sha256) is revealed.
local function open_prequeue(config_key, counters_key, visitors_key, prequeue_key, tail)
  local seed = redis.call('HGET', config_key, 'shuffle_seed') or ''
  local ids = redis.call('LRANGE', prequeue_key, 0, -1)
  local entries = {}
  for i = 1, #ids do
    local hashed = prequeue_hash(config_key, ids[i])
    entries[i] = { redis.sha1hex(seed .. hashed), ids[i], hashed }
  end
  table.sort(entries, function(a, b)
    if a[1] == b[1] then return a[3] < b[3] end
    return a[1] < b[1]
  end)
  local positions = {}
  for i = 1, #entries do
    redis.call('HSET', visitors_key, entries[i][2], tail + i)
    positions[i] = tail + i
  end
  mark_live(counters_key, positions, now_ms()) -- early fans start live at opening
  -- prequeue_base: places base+1 .. base+size went to the pre-queue (for the publication)
  redis.call('HSET', counters_key, 'opened', 1, 'prequeue_size', #entries, 'prequeue_base', tail)
  redis.call('DEL', prequeue_key)
  return tail + #entries
end

-- Returns serving, tail, epoch, now_ms, state (nil when the queue does not exist).
local function advance(default_burst)
  local config_key, counters_key, visitors_key, prequeue_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local cfg = redis.call('HMGET', config_key, 'rate_per_minute', 'state', 'opens_at', 'burst')
  if not cfg[2] then
    return nil
  end
  local now = now_ms()
  local rate = tonumber(cfg[1]) or 0
  local state = cfg[2]
  local opens_at_ms = math.floor((tonumber(cfg[3]) or 0) * 1000)
  local burst = tonumber(cfg[4]) or default_burst
  local c = redis.call('HMGET', counters_key, 'tail', 'serving', 'last_ms', 'credit', 'epoch', 'opened')
  local tail = tonumber(c[1]) or 0
  local serving = tonumber(c[2]) or 0
  local last_ms = tonumber(c[3]) or now
  local credit = tonumber(c[4]) or 0
  local epoch = tonumber(c[5]) or 0
  local opened = c[6] == '1'
  watch_gap(counters_key, c[3], now) -- abandonment.lua: no judging right after an outage
  if not opened and now >= opens_at_ms and state ~= 'closed' then
    tail = open_prequeue(config_key, counters_key, visitors_key, prequeue_key, tail)
    redis.call('HSET', counters_key, 'tail', tail)
    opened = true
  end
  if state == 'open' and rate > 0 and opened then
    local start = last_ms
    if start < opens_at_ms then start = opens_at_ms end
    local elapsed = now - start
    if elapsed < 0 then elapsed = 0 end
    -- after a store outage (or with nobody reading for long) no catch-up surge into the shop
    if elapsed > MAX_CATCHUP_MS then elapsed = MAX_CATCHUP_MS end
    local units = credit + elapsed * rate
    local whole = math.floor(units / 60000)
    credit = units - whole * 60000
    -- Priority lane (invite codes, waitroom/codes.py): admissions go to priority fans first;
    -- the general pointer gets what is left. priority_serving never passes priority_tail.
    local lane = redis.call('HMGET', counters_key, 'priority_tail', 'priority_serving')
    local lane_tail = tonumber(lane[1]) or 0
    local lane_serving = tonumber(lane[2]) or 0
    if whole > 0 and lane_tail > lane_serving then
      local taken = math.min(whole, lane_tail - lane_serving)
      whole = whole - taken
      redis.call('HSET', counters_key, 'priority_serving', lane_serving + taken)
    end
    local cap = tail + burst
    if serving + whole >= cap then
      whole = math.max(0, cap - serving)
      credit = 0
    end
    -- abandonment / cap: moves by `whole` live fans; places not moved stay as credit
    local not_moved
    serving, not_moved = move_pointer(counters_key, serving, whole, tail, cap, now)
    if not_moved > 0 then
      credit = credit + not_moved * 60000
    end
  else
    credit = 0
  end
  redis.call('HSET', counters_key, 'serving', serving, 'last_ms', now, 'credit', credit)
  return { serving, tail, epoch, now, state }
end
