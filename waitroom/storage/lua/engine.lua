-- Prelude of the admission engine's scripts (join, view, configure, heartbeat, stock_report,
-- stock_remove), included before abandonment.lua and advance.lua. Each of those scripts
-- declares the same first twelve KEYS and first two ARGV (waitroom/storage/scripts.py checks it):
--   KEYS 1 config, 2 counters, 3 visitors, 4 prequeue, 5 heartbeats, 6 heartbeats_b, 7 left,
--   8 skipped, 9 abandoned_total, 10 active_sessions, 11 away, 12 returned (K.config ...
--   K.returned);
--   ARGV 1 default_burst, 2 queue_id.
-- The queue's config and counters are read with one HMGET each (load_engine) and the counters
-- changed are written back with one HSET (save), so a step costs few commands.

local DEFAULT_BURST = tonumber(ARGV[1])
local QUEUE_ID = ARGV[2]

local script_now = nil
local function now_ms()
  if not script_now then
    local t = redis.call('TIME')
    script_now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return script_now
end

local CONFIG_FIELDS = { 'rate_per_minute', 'state', 'opens_at', 'burst', 'abandon_after_seconds',
                        'active_shopper_cap', 'away_grace_seconds' }
-- a queue created before the grace existed keeps places this long (waitroom/admission.py)
local DEFAULT_AWAY_GRACE_SECONDS = 900
local COUNTER_FIELDS = { 'tail', 'serving', 'last_ms', 'credit', 'epoch', 'opened',
                         'priority_tail', 'priority_serving', 'hb_period_ms', 'hb_since_ms',
                         'hb_window_a', 'hb_window_b', 'joined_total', 'admitted_total' }

-- E: what load_engine read (config values, raw counters in E.c) and what advance settled.
local E = nil
local changed_counters = {}
local deleted_counters = {}

-- Reads the queue's config and counters; nil when the queue does not exist.
local function load_engine()
  local cfg = redis.call('HMGET', K.config, unpack(CONFIG_FIELDS))
  if not cfg[2] then
    E = nil
    return nil
  end
  local raw = redis.call('HMGET', K.counters, unpack(COUNTER_FIELDS))
  local c = {}
  for i = 1, #COUNTER_FIELDS do
    c[COUNTER_FIELDS[i]] = raw[i]
  end
  E = {
    now = now_ms(),
    rate = tonumber(cfg[1]) or 0,
    state = cfg[2],
    opens_at_ms = math.floor((tonumber(cfg[3]) or 0) * 1000),
    burst = tonumber(cfg[4]) or DEFAULT_BURST,
    abandon_after_seconds = tonumber(cfg[5] or '0') or 0,
    shopper_cap = tonumber(cfg[6] or '0') or 0,
    away_grace_ms = (tonumber(cfg[7] or '') or DEFAULT_AWAY_GRACE_SECONDS) * 1000,
    c = c,
  }
  return E
end

local function counter(name)
  return tonumber(E.c[name] or '0') or 0
end

local function set_counter(name, value)
  E.c[name] = tostring(value)
  changed_counters[name] = true
  deleted_counters[name] = nil
end

local function delete_counter(name)
  E.c[name] = false
  deleted_counters[name] = true
  changed_counters[name] = nil
end

-- Writes the counters changed since the last save: one HSET (and one HDEL when needed).
local function save()
  local pairs_list = {}
  for name, _ in pairs(changed_counters) do
    pairs_list[#pairs_list + 1] = name
    pairs_list[#pairs_list + 1] = E.c[name]
  end
  if #pairs_list > 0 then
    redis.call('HSET', K.counters, unpack(pairs_list))
  end
  local gone = {}
  for name, _ in pairs(deleted_counters) do
    gone[#gone + 1] = name
  end
  if #gone > 0 then
    redis.call('HDEL', K.counters, unpack(gone))
  end
  changed_counters = {}
  deleted_counters = {}
end
