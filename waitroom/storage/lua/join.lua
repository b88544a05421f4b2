-- Join one queue, one or more fans in one step (the joins a process gathered while its previous
-- step was in flight, waitroom/storage/join_batches.py): the pointer settled once, then for
-- each fan in order its client's join limits and one place per visitor id. Each answer carries
-- what the fan's first status needs, so no view refresh follows a join.
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
-- KEYS[13..] = join_limit         newest join times of one client address or network (list):
--                                every window the joins count in, each once
-- ARGV[1] = default_burst        burst of a queue that has none of its own
-- ARGV[2] = queue_id
-- ARGV[3..] = joins              per fan 7 values: visitor id, then for its address and for its
--                                network: the window's index in KEYS (0: not limited), joins
--                                allowed per window, window length (ms)
-- Returns one answer per fan: {outcome, position, epoch, state, serving, tail, opened (0|1),
-- redis_now_ms}, outcome 'new', 'existing', 'prequeue', 'prequeue_existing', 'missing' (no
-- queue) or the queue's state when it takes nobody ('closed', 'sold_out'); or {'limited',
-- 'address' | 'network', retry_after_ms} when a join limit refused a new place (nothing else
-- happened for that fan). Limits count joins that made a place, in a moving window (as the
-- `limits` library's moving window: the newest `limit` times, the oldest must be older than
-- the window).
local GROUP = 7
local SCOPES = { 'address', 'network' }

-- Counts a join in the fan's windows; when one is full, takes the count back and returns
-- {'limited', scope, ms}. The common case (room left) costs an LPUSH and a PEXPIRE per window.
local function count_join(base)
  local now = now_ms()
  local pushed = {}
  for rule = 0, 1 do
    local index = tonumber(ARGV[base + 1 + rule * 3])
    local limit = tonumber(ARGV[base + 2 + rule * 3])
    if index > 0 and limit > 0 then
      local window = tonumber(ARGV[base + 3 + rule * 3])
      pushed[#pushed + 1] = { index, window }
      if redis.call('LPUSH', KEYS[index], now) > limit then
        -- the join before the newest `limit` ones: inside the window means one too many
        local oldest = tonumber(redis.call('LINDEX', KEYS[index], limit))
        if now - oldest < window then
          for _, entry in ipairs(pushed) do
            redis.call('LPOP', KEYS[entry[1]])
          end
          return { 'limited', SCOPES[rule + 1], oldest + window - now }
        end
        redis.call('LTRIM', KEYS[index], 0, limit - 1)
      end
    end
  end
  for _, entry in ipairs(pushed) do
    redis.call('PEXPIRE', KEYS[entry[1]], entry[2])
  end
  return nil
end

local answers = {}
local count = (#ARGV - 2) / GROUP
if not advance() then
  for i = 1, count do
    answers[i] = { 'missing', 0, 0, '', 0, 0, 0, 0 }
  end
  return answers
end
local function answer(outcome, position)
  return { outcome, position, E.epoch, E.state, E.serving, E.tail, E.opened and 1 or 0, E.now }
end

local joined = counter('joined_total')
local new_places = {}
local takes_fans = E.state ~= 'closed' and E.state ~= 'sold_out'

-- A new place for the fan (or its join limit): `claimed` when HSETNX already wrote it.
local function take_place(base, visitor, claimed)
  local limited = count_join(base + 1)
  if limited then
    if claimed then
      redis.call('HDEL', K.visitors, visitor)
    end
    return limited
  end
  joined = joined + 1
  if not E.opened then
    if not claimed then
      redis.call('HSET', K.visitors, visitor, 0)
    end
    redis.call('RPUSH', K.prequeue, visitor)
    return answer('prequeue', 0)
  end
  E.tail = E.tail + 1
  if not claimed then
    redis.call('HSET', K.visitors, visitor, E.tail)
  end
  new_places[#new_places + 1] = E.tail
  return answer('new', E.tail)
end

for i = 1, count do
  local base = 2 + (i - 1) * GROUP
  local visitor = ARGV[base + 1]
  local place = E.opened and E.tail + 1 or 0
  if takes_fans and redis.call('HSETNX', K.visitors, visitor, place) == 1 then
    answers[i] = take_place(base, visitor, true) -- the common case: a new visitor
  else
    local existing = redis.call('HGET', K.visitors, visitor)
    local position = tonumber(existing or '-1')
    if position == 0 then
      answers[i] = answer('prequeue_existing', 0)
    elseif position > 0 then
      -- the place held (one the pointer skipped while its fan was away included: the status
      -- tells whether it is kept within the grace or given up, waitroom/queue/away.py)
      answers[i] = answer('existing', position)
    elseif not takes_fans then
      answers[i] = answer(E.state, 0)
    else
      answers[i] = take_place(base, visitor, false)
    end
  end
end
if joined ~= counter('joined_total') then
  set_counter('joined_total', joined)
  set_counter('tail', E.tail)
end
mark_live(new_places) -- new places start live (abandonment tracking)
save()
return answers
