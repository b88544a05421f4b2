-- Prelude of the stock scripts (waitroom/queue/stock.py), after advance.lua. The stock
-- scripts declare the engine's ten KEYS (engine.lua), then stock (totals over the events),
-- stock_events (event id -> JSON figures), sales_per_minute, stock_removed (event ids the
-- organizer removed), waitlist and waitlist_offers (the waiting list after sell-out).
--
-- The queue fronts the events that reported (and were not removed). It is sold out by stock
-- when every one of them has remaining == 0. The state changes on an edge of that condition
-- (kept in stock.condition), so an organizer's later decision stands until stock changes:
--   available -> sold_out: an open or paused queue becomes sold_out, remembering the state
--                          it had in config.sold_out_by_stock;
--   sold_out -> available: a queue still sold out by stock returns to that state, unless
--                          fans are on the waiting list (they get the tickets first).
-- A queue the organizer closed or set sold_out is never touched (configure.lua drops
-- sold_out_by_stock whenever the organizer sets a state).

-- Fans on the waiting list, or holding an offer, who have not had their chance yet.
local function waitlist_waiting()
  return redis.call('ZCARD', K.waitlist) > 0 or redis.call('ZCARD', K.waitlist_offers) > 0
end

local function set_state(state)
  advance() -- settle the pointer under the old state: no banked admissions
  redis.call('HSET', K.config, 'state', state)
  advance()
end

-- Recomputes the totals and applies the condition. Returns {state, remaining_total, changed}.
local function settle_stock(updated_at)
  local remaining, capacity, sold, held = 0, 0, 0, 0
  local documents = redis.call('HVALS', K.stock_events)
  for _, raw in ipairs(documents) do
    local figures = cjson.decode(raw)
    remaining = remaining + (tonumber(figures.remaining) or 0)
    capacity = capacity + (tonumber(figures.capacity) or 0)
    sold = sold + (tonumber(figures.sold) or 0)
    held = held + (tonumber(figures.held) or 0)
  end
  local condition = 'available'
  if #documents > 0 and remaining == 0 then
    condition = 'sold_out'
  end
  local previous = redis.call('HGET', K.stock, 'condition')
  redis.call('DEL', K.stock)
  if #documents > 0 then
    redis.call('HSET', K.stock, 'remaining_total', remaining, 'capacity_total', capacity,
               'sold_total', sold, 'held_total', held, 'events', #documents,
               'condition', condition, 'updated_at', updated_at)
  end
  local state = redis.call('HGET', K.config, 'state') or ''
  local changed = 0
  if condition ~= previous then
    if condition == 'sold_out' and (state == 'open' or state == 'paused') then
      set_state('sold_out')
      redis.call('HSET', K.config, 'sold_out_by_stock', state)
      state, changed = 'sold_out', 1
    elseif condition == 'available' and state == 'sold_out' then
      local before = redis.call('HGET', K.config, 'sold_out_by_stock')
      if before and waitlist_waiting() then
        -- returned tickets go to the waiting list first (waitlist_offer.lua offers them and
        -- reopens the queue once the list is done)
        before = nil
      end
      if before then
        set_state(before)
        redis.call('HDEL', K.config, 'sold_out_by_stock')
        state, changed = before, 1
      end
    end
  end
  return { state, remaining, changed }
end
