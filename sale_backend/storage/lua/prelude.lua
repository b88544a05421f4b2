-- Shared prelude of the shop's scripts: functions over ONE event's keys (hash tag
-- {e:<event_id>}), reached as K.<name> (the keys each script's header declares, see
-- service_kit/lua.py); a script declares every key the functions it calls use.
-- Invariant per tier and in total: remaining + held + sold = capacity.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function move_stock(tier_id, quantity, from_field, to_field)
  redis.call('HINCRBY', K.stock, 'tier:' .. tier_id .. ':' .. from_field, -quantity)
  redis.call('HINCRBY', K.stock, 'tier:' .. tier_id .. ':' .. to_field, quantity)
  redis.call('HINCRBY', K.stock, from_field .. '_total', -quantity)
  redis.call('HINCRBY', K.stock, to_field .. '_total', quantity)
end

local function credit_buyer(buyer, units)
  local left = redis.call('HINCRBY', K.buyers, buyer, -units)
  if left <= 0 then redis.call('HDEL', K.buyers, buyer) end
end

-- Returns a hold's tickets to stock and credits the buyer's limit.
local function release_hold(hold_id, hold)
  for tier_id, quantity in pairs(hold.items) do
    move_stock(tier_id, quantity, 'held', 'remaining')
  end
  for _, seat in ipairs(hold.seats or {}) do
    if redis.call('HGET', K.seats, seat) == 'held:' .. hold_id then
      redis.call('HSET', K.seats, seat, 'free')
    end
  end
  credit_buyer(hold.buyer, hold.units)
  redis.call('HDEL', K.holds, hold_id)
  redis.call('ZREM', K.hold_expiry, hold_id)
  redis.call('HDEL', K.hold_payment, hold_id)
end

-- Releases holds whose expiry has passed (at most max_count per call); returns how many.
local function expire_due(now, max_count)
  local due = redis.call('ZRANGEBYSCORE', K.hold_expiry, '-inf', now, 'LIMIT', 0, max_count)
  local released = 0
  for _, hold_id in ipairs(due) do
    local raw = redis.call('HGET', K.holds, hold_id)
    if raw then
      release_hold(hold_id, cjson.decode(raw))
      released = released + 1
    else
      redis.call('ZREM', K.hold_expiry, hold_id)
    end
  end
  return released
end

-- The answer that ends a request whose Idempotency-Key has a record ({'mismatch'}: another
-- body; {'busy'}: the first request is running; {'replay', status, response}), nil for a new key.
local function idempotency_answer(body_sha256)
  local state = redis.call('HGET', K.idempotency, 'state')
  if not state then return nil end
  if redis.call('HGET', K.idempotency, 'body') ~= body_sha256 then return {'mismatch'} end
  if state == 'running' then return {'busy'} end
  return {'replay', redis.call('HGET', K.idempotency, 'status'),
    redis.call('HGET', K.idempotency, 'response')}
end

-- Creates a hold (expired holds released by the caller first): checks tier stock, seat states
-- and the buyer's limit, then moves tickets from remaining to held.
-- Returns {'ok', expires_at_ms} | {'sold_out', tier_id, remaining} | {'seat_taken', seat}
--       | {'limit', already_counted} | {'unknown_tier', tier_id}
local function create_hold(hold_id, hold_json, ttl_ms, buyer_limit, now)
  local hold = cjson.decode(hold_json)
  for tier_id, quantity in pairs(hold.items) do
    local remaining = redis.call('HGET', K.stock, 'tier:' .. tier_id .. ':remaining')
    if not remaining then return {'unknown_tier', tier_id} end
    if tonumber(remaining) < quantity then return {'sold_out', tier_id, remaining} end
  end
  for _, seat in ipairs(hold.seats or {}) do
    if redis.call('HGET', K.seats, seat) ~= 'free' then return {'seat_taken', seat} end
  end
  local counted = tonumber(redis.call('HGET', K.buyers, hold.buyer) or '0')
  if counted + hold.units > buyer_limit then return {'limit', counted} end

  for tier_id, quantity in pairs(hold.items) do
    move_stock(tier_id, quantity, 'remaining', 'held')
  end
  for _, seat in ipairs(hold.seats or {}) do
    redis.call('HSET', K.seats, seat, 'held:' .. hold_id)
  end
  redis.call('HINCRBY', K.buyers, hold.buyer, hold.units)
  redis.call('HSET', K.holds, hold_id, hold_json)
  local expires_at = now + ttl_ms
  redis.call('ZADD', K.hold_expiry, expires_at, hold_id)
  return {'ok', expires_at}
end

-- Stores the final answer of an Idempotency-Key request (kept for ttl seconds).
local function finish_idempotency(status, body, ttl)
  if K.idempotency and redis.call('HGET', K.idempotency, 'state') then
    redis.call('HSET', K.idempotency, 'state', 'done', 'status', status, 'response', body)
    redis.call('EXPIRE', K.idempotency, ttl)
  end
end

-- The next version of the event's ticket list (door scanners download changes after theirs).
local function next_ticket_version()
  local top = redis.call('ZREVRANGE', K.ticket_changes, 0, 0, 'WITHSCORES')
  return (top[2] and tonumber(top[2]) or 0) + 1
end

-- Records that tickets changed (each gets its own version, so pages of changes never split one).
local function tickets_changed(ticket_ids)
  local version = next_ticket_version()
  for index, ticket_id in ipairs(ticket_ids) do
    redis.call('ZADD', K.ticket_changes, version + index - 1, ticket_id)
  end
end

-- True when a short code already belongs to another ticket of this event.
local function short_code_taken(short_code, ticket_id)
  local owner = redis.call('HGET', K.short_codes, short_code)
  return owner and owner ~= ticket_id
end

-- Stores a ticket's details and short code (once; a ticket keeps its first short code).
local function register_ticket(ticket_id, short_code, details_json)
  if redis.call('HSETNX', K.ticket_details, ticket_id, details_json) == 1 then
    redis.call('HSET', K.short_codes, short_code, ticket_id)
  end
end
