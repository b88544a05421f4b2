-- Prelude (after engine.lua and abandonment.lua): advance the serving pointer of one queue to
-- "now" (Redis TIME). The pointer moves by exactly floor(rate * elapsed_ms / 60000) plus the
-- carried remainder, whichever process calls, so the overall rate is exact with any number of
-- processes. It never runs more than `burst` ahead of the tail: an idle queue banks no capacity.
-- While the queue admits nobody (paused, rate 0, closed, sold out) the pointer keeps no room
-- beyond the tail either: a fan who joins then is never below it (pause means pause).

-- Published pre-queue id of a visitor: sha1("waitroom-prequeue:" .. queue_id .. ":" .. visitor_id).
-- The list of these hashes is public before opening (waitroom/organizer/prequeue_publication.py);
-- the raw visitor ids (cookie values) are never published, and the queue id keeps queues
-- unlinkable.
local function prequeue_hash(visitor_id)
  return redis.sha1hex('waitroom-prequeue:' .. QUEUE_ID .. ':' .. visitor_id)
end

-- Fair opening: everyone who joined before opens_at gets a place in the order of
-- sha1(seed .. hashed_id) (ties by hashed_id), which anyone can recompute from the published
-- hashed ids once the seed (committed as shuffle_seed_sha256) is revealed.
local function open_prequeue(tail)
  local seed = redis.call('HGET', K.config, 'shuffle_seed') or ''
  local ids = redis.call('LRANGE', K.prequeue, 0, -1)
  local entries = {}
  for i = 1, #ids do
    local hashed = prequeue_hash(ids[i])
    entries[i] = { redis.sha1hex(seed .. hashed), ids[i], hashed }
  end
  table.sort(entries, function(a, b)
    if a[1] == b[1] then return a[3] < b[3] end
    return a[1] < b[1]
  end)
  local positions = {}
  for i = 1, #entries do
    redis.call('HSET', K.visitors, entries[i][2], tail + i)
    positions[i] = tail + i
  end
  mark_live(positions) -- early fans start live at opening
  -- prequeue_base: places base+1 .. base+size went to the pre-queue (for the publication)
  set_counter('opened', 1)
  set_counter('prequeue_size', #entries)
  set_counter('prequeue_base', tail)
  redis.call('DEL', K.prequeue)
  return tail + #entries
end

-- Settles the pointer; returns E (engine.lua) with serving, tail, epoch and opened set, or nil
-- when the queue does not exist.
local function advance()
  if not load_engine() then
    return nil
  end
  local now = E.now
  local rate, state, burst = E.rate, E.state, E.burst
  local tail = counter('tail')
  local serving = counter('serving')
  local last_ms = tonumber(E.c.last_ms or '') or now
  local credit = counter('credit')
  local opened = E.c.opened == '1'
  watch_gap(E.c.last_ms) -- abandonment.lua: no judging right after an outage
  if not opened and now >= E.opens_at_ms and state ~= 'closed' then
    tail = open_prequeue(tail)
    set_counter('tail', tail)
    opened = true
  end
  if state == 'open' and rate > 0 and opened then
    local start = last_ms
    if start < E.opens_at_ms then start = E.opens_at_ms end
    local elapsed = now - start
    if elapsed < 0 then elapsed = 0 end
    -- after a store outage (or with nobody reading for long) no catch-up surge into the shop
    if elapsed > MAX_CATCHUP_MS then elapsed = MAX_CATCHUP_MS end
    local units = credit + elapsed * rate
    local whole = math.floor(units / 60000)
    credit = units - whole * 60000
    local admitted = 0
    -- Fans who came back within the grace after their place was skipped (away.lua) go first,
    -- ahead of everyone still waiting: their skipped mark is cleared, so their place (below
    -- the pointer) earns its pass.
    if whole > 0 then
      local back = redis.call('ZRANGE', K.returned, 0, whole - 1)
      for i = 1, #back do
        redis.call('SETBIT', K.skipped, tonumber(back[i]), 0)
      end
      if #back > 0 then
        redis.call('ZREM', K.returned, unpack(back))
        redis.call('ZREM', K.away, unpack(back))
        whole = whole - #back
        admitted = admitted + #back
      end
    end
    -- Priority lane (invite codes, waitroom/queue/codes.py): admissions go to priority fans
    -- first; the general pointer gets what is left. priority_serving never passes priority_tail.
    local lane_tail = counter('priority_tail')
    local lane_serving = counter('priority_serving')
    if whole > 0 and lane_tail > lane_serving then
      local taken = math.min(whole, lane_tail - lane_serving)
      whole = whole - taken
      admitted = admitted + taken
      set_counter('priority_serving', lane_serving + taken)
    end
    local cap = tail + burst
    if serving + whole >= cap then
      whole = math.max(0, cap - serving)
      credit = 0
    end
    -- abandonment / cap: moves by `whole` live fans; places not moved stay as credit
    local not_moved, moved_live
    serving, not_moved, moved_live = move_pointer(serving, whole, tail, cap)
    if not_moved > 0 then
      credit = credit + not_moved * 60000
    end
    -- live fans admitted (skipped places excluded): the measured outflow of the ETA
    admitted = admitted + moved_live
    if admitted > 0 then
      set_counter('admitted_total', counter('admitted_total') + admitted)
    end
  else
    credit = 0
    -- nobody new is admitted: the room the pointer had beyond the tail is given up, so a fan
    -- who joins now gets a place above it (the places <= tail it passed stay admitted)
    if serving > tail then serving = tail end
  end
  if E.away_grace_ms > 0 and now % 16 == 0 then
    -- now and then, forget places whose grace ran out (their fans are told so anyway)
    redis.call('ZREMRANGEBYSCORE', K.away, '-inf', now - E.away_grace_ms)
  end
  set_counter('serving', serving)
  set_counter('last_ms', now)
  set_counter('credit', credit)
  save()
  E.serving, E.tail, E.opened, E.epoch = serving, tail, opened, counter('epoch')
  return E
end
