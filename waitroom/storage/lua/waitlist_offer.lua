-- The waiting list after sell-out (waitroom/queue/waitlist.py): settle the offers, offer
-- returned tickets to the next fans on the list, and give the queue back to everyone when the
-- list is done. Runs after advance.lua and stock_state.lua (set_state). Keys: stock_state.lua's
-- KEYS[1..8], then KEYS[9] waitlist (sorted set visitor -> position), KEYS[10] waitlist_entries
-- (hash visitor -> JSON {email, lang, position, pass_id, status}), KEYS[11] waitlist_offers
-- (sorted set visitor -> offer deadline), KEYS[12] mail_outbox, KEYS[13] mail_messages,
-- KEYS[14] passes_issued bitmap.
-- ARGV[1] default burst, ARGV[2] now (unix s), ARGV[3] offer time (s), ARGV[4] how long a pass
-- record outlives its pass (s), ARGV[5] queue id, ARGV[6] most offers per step.
-- Returns {offered, lapsed, outstanding, reopened (0|1)}.
local now = tonumber(ARGV[2])
local function pass_key(pass_id)
  return string.sub(KEYS[1], 1, #KEYS[1] - 6) .. 'pass:' .. pass_id
end
local function set_entry(visitor, entry, status)
  entry.status = status
  redis.call('HSET', KEYS[10], visitor, cjson.encode(entry))
end

local stock_updated = tonumber(redis.call('HGET', KEYS[5], 'updated_at') or '0') or 0
-- 1. settle the offers made: used, lapsed unused, or still holding a ticket
local outstanding, lapsed = 0, 0
local offers = redis.call('ZRANGE', KEYS[11], 0, -1)
for _, visitor in ipairs(offers) do
  local entry = cjson.decode(redis.call('HGET', KEYS[10], visitor) or '{}')
  local record = redis.call('HMGET', pass_key(entry.pass_id or ''), 'state', 'exp', 'deadline',
                            'reason', 'ended_at')
  local state = record[1]
  local done = nil
  if state == 'ended' then
    -- a purchase still counts against the returned stock until a stock report newer than it
    -- arrived (the site reports the sale right after ending the session)
    if record[4] == 'purchase_completed' and stock_updated <= (tonumber(record[5]) or 0) then
      done = nil
    else
      done = (record[4] == 'purchase_completed') and 'used' or 'ended'
    end
  elseif state == 'active' then
    if now >= (tonumber(record[3]) or 0) then done = 'ended' end
  elseif state == 'issued' then
    if now >= (tonumber(record[2]) or 0) then done = 'lapsed' end
  else
    done = 'lapsed' -- the record is gone: long expired
  end
  if done then
    redis.call('ZREM', KEYS[11], visitor)
    set_entry(visitor, entry, done)
    if done == 'lapsed' then lapsed = lapsed + 1 end
  else
    outstanding = outstanding + 1
  end
end

-- 2. offer what is left over to the list, in queue order, while the queue is sold out by stock
local state = redis.call('HGET', KEYS[1], 'state') or ''
local by_stock = redis.call('HGET', KEYS[1], 'sold_out_by_stock')
local remaining = tonumber(redis.call('HGET', KEYS[5], 'remaining_total') or '0') or 0
local offered = 0
if state == 'sold_out' and by_stock then
  local free = remaining - outstanding
  local limit = tonumber(ARGV[6])
  while free > 0 and offered < limit do
    local next_up = redis.call('ZRANGE', KEYS[9], 0, 0)
    if #next_up == 0 then break end
    local visitor = next_up[1]
    redis.call('ZREM', KEYS[9], visitor)
    local entry = cjson.decode(redis.call('HGET', KEYS[10], visitor) or '{}')
    local position = tonumber(entry.position) or 0
    local record_key = pass_key(entry.pass_id or '')
    if entry.pass_id and redis.call('EXISTS', record_key) == 0
        and (position <= 0 or redis.call('GETBIT', KEYS[14], position) == 0) then
      local expires_at = math.floor(now) + tonumber(ARGV[3])
      redis.call('HSET', record_key, 'exp', expires_at, 'position', position, 'visitor', visitor,
                 'state', 'issued', 'offer', 1)
      redis.call('EXPIREAT', record_key, expires_at + tonumber(ARGV[4]))
      if position > 0 then redis.call('SETBIT', KEYS[14], position, 1) end
      redis.call('ZADD', KEYS[11], expires_at, visitor)
      entry.expires_at = expires_at
      set_entry(visitor, entry, 'offered')
      local message_id = 'waitlist_offer:' .. entry.pass_id
      local payload = cjson.encode({ kind = 'waitlist_offer', queue_id = ARGV[5],
                                     email = entry.email, lang = entry.lang,
                                     pass_id = entry.pass_id, expires_at = expires_at })
      if redis.call('HSETNX', KEYS[13], message_id, payload) == 1 then
        redis.call('ZADD', KEYS[12], 0, message_id)
      end
      offered = offered + 1
      outstanding = outstanding + 1
      free = free - 1
    else
      set_entry(visitor, entry, 'skipped') -- the place had its pass already
    end
  end
end

-- 3. the list is done and tickets are left: the queue is everyone's again
local reopened = 0
if state == 'sold_out' and by_stock and outstanding == 0 and redis.call('ZCARD', KEYS[9]) == 0
    and remaining > 0 and redis.call('HGET', KEYS[5], 'condition') == 'available' then
  set_state(tonumber(ARGV[1]), by_stock)
  redis.call('HDEL', KEYS[1], 'sold_out_by_stock')
  reopened = 1
end
return { offered, lapsed, outstanding, reopened }
