-- Shared prelude of every shop script. All scripts get the same KEYS, all of ONE event
-- (hash tag {e:<event_id>}):
--  1 stock  2 seats  3 holds  4 hold_expiry  5 buyers  6 hold_payment  7 payment_status
--  8 payments_pending  9 payments  10 orders  11 tickets  12 buyer_orders  13 refunds
--  14 refunds_pending  15 idempotency record of this request (or an unused placeholder)
--  16 catalog  17 short_codes  18 ticket_details  19 entries  20 ticket_changes
-- Invariant per tier and in total: remaining + held + sold = capacity.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function move_stock(tier_id, quantity, from_field, to_field)
  redis.call('HINCRBY', KEYS[1], 'tier:' .. tier_id .. ':' .. from_field, -quantity)
  redis.call('HINCRBY', KEYS[1], 'tier:' .. tier_id .. ':' .. to_field, quantity)
  redis.call('HINCRBY', KEYS[1], from_field .. '_total', -quantity)
  redis.call('HINCRBY', KEYS[1], to_field .. '_total', quantity)
end

local function credit_buyer(buyer, units)
  local left = redis.call('HINCRBY', KEYS[5], buyer, -units)
  if left <= 0 then redis.call('HDEL', KEYS[5], buyer) end
end

-- Returns a hold's tickets to stock and credits the buyer's limit.
local function release_hold(hold_id, hold)
  for tier_id, quantity in pairs(hold.items) do
    move_stock(tier_id, quantity, 'held', 'remaining')
  end
  for _, seat in ipairs(hold.seats or {}) do
    if redis.call('HGET', KEYS[2], seat) == 'held:' .. hold_id then
      redis.call('HSET', KEYS[2], seat, 'free')
    end
  end
  credit_buyer(hold.buyer, hold.units)
  redis.call('HDEL', KEYS[3], hold_id)
  redis.call('ZREM', KEYS[4], hold_id)
  redis.call('HDEL', KEYS[6], hold_id)
end

-- Releases holds whose expiry has passed (at most max_count per call); returns how many.
local function expire_due(now, max_count)
  local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, max_count)
  local released = 0
  for _, hold_id in ipairs(due) do
    local raw = redis.call('HGET', KEYS[3], hold_id)
    if raw then
      release_hold(hold_id, cjson.decode(raw))
      released = released + 1
    else
      redis.call('ZREM', KEYS[4], hold_id)
    end
  end
  return released
end

-- Stores the final answer of an Idempotency-Key request (kept for ttl seconds).
local function finish_idempotency(status, body, ttl)
  if redis.call('HGET', KEYS[15], 'state') then
    redis.call('HSET', KEYS[15], 'state', 'done', 'status', status, 'response', body)
    redis.call('EXPIRE', KEYS[15], ttl)
  end
end

-- The next version of the event's ticket list (door scanners download changes after theirs).
local function next_ticket_version()
  local top = redis.call('ZREVRANGE', KEYS[20], 0, 0, 'WITHSCORES')
  return (top[2] and tonumber(top[2]) or 0) + 1
end

-- Records that tickets changed (each gets its own version, so pages of changes never split one).
local function tickets_changed(ticket_ids)
  local version = next_ticket_version()
  for index, ticket_id in ipairs(ticket_ids) do
    redis.call('ZADD', KEYS[20], version + index - 1, ticket_id)
  end
end

-- True when a short code already belongs to another ticket of this event.
local function short_code_taken(short_code, ticket_id)
  local owner = redis.call('HGET', KEYS[17], short_code)
  return owner and owner ~= ticket_id
end

-- Stores a ticket's details and short code (once; a ticket keeps its first short code).
local function register_ticket(ticket_id, short_code, details_json)
  if redis.call('HSETNX', KEYS[18], ticket_id, details_json) == 1 then
    redis.call('HSET', KEYS[17], short_code, ticket_id)
  end
end
