-- The waiting list after sell-out (waitroom/queue/waitlist.py), after the stock_state.lua
-- prelude: settle the offers made, offer returned tickets to the next fans on the list, and
-- give the queue back to everyone when the list is done. The caller names the pass records of
-- the open offers and of the next fans on the list (pass_record, with their visitor ids in
-- visitors, in the same order); a fan whose record was not named waits for the next step.
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
-- KEYS[13] = stock               totals over the events (hash)
-- KEYS[14] = stock_events        event id -> its figures (JSON) (hash)
-- KEYS[15] = sales_per_minute    unix minute -> tickets sold (hash)
-- KEYS[16] = stock_removed       event ids the organizer removed (set)
-- KEYS[17] = waitlist            visitor id -> place, fans on the waiting list (sorted set)
-- KEYS[18] = waitlist_offers     visitor id -> deadline of open offers (sorted set)
-- KEYS[19] = waitlist_entries    visitor id -> JSON entry (hash)
-- KEYS[20] = mail_outbox         e-mail id -> due time, ms (sorted set)
-- KEYS[21] = mail_messages       e-mail id -> JSON payload (hash)
-- KEYS[22] = passes_issued       places whose pass was issued (bitmap)
-- KEYS[23..] = pass_record       the pass record of each fan in visitors (hashes)
-- ARGV[1] = default_burst        burst of a queue that has none of its own
-- ARGV[2] = queue_id
-- ARGV[3] = now_seconds          unix s
-- ARGV[4] = offer_seconds        how long an offer stands
-- ARGV[5] = keep_seconds         how long a pass record outlives its pass
-- ARGV[6] = limit                most offers made in one step
-- ARGV[7..] = visitors           visitor id of each pass record named
-- Returns {offered, lapsed, outstanding, reopened (0|1)}.
local now = tonumber(ARGV[3])
local record_of = {}
for index = 7, #ARGV do
  record_of[ARGV[index]] = KEYS[23 + index - 7]
end
local function set_entry(visitor, entry, status)
  entry.status = status
  redis.call('HSET', K.waitlist_entries, visitor, cjson.encode(entry))
end

local stock_updated = tonumber(redis.call('HGET', K.stock, 'updated_at') or '0') or 0
-- Whether the stock figures kept count a purchase. The site said where the sale stands in its
-- event's reports (stock_event, stock_version): counted once that event's kept report has a
-- higher version (reports never go back in version), or once the event's figures are gone.
-- Without it (or with reports that carry no version), a report received after the session
-- ended is taken to count it: a report read before the sale but still on its way can then
-- reopen the queue until the next report.
local function sale_counted(ended_at, stock_event, stock_version)
  if stock_event and stock_version then
    local raw = redis.call('HGET', K.stock_events, stock_event)
    if not raw then return true end
    local version = tonumber(cjson.decode(raw).version)
    if version then return version > (tonumber(stock_version) or 0) end
  end
  return stock_updated > (tonumber(ended_at) or 0)
end
-- 1. settle the offers made: used, lapsed unused, or still holding a ticket
local outstanding, lapsed = 0, 0
for _, visitor in ipairs(redis.call('ZRANGE', K.waitlist_offers, 0, -1)) do
  local record_key = record_of[visitor]
  local done = nil
  if record_key then
    local entry = cjson.decode(redis.call('HGET', K.waitlist_entries, visitor) or '{}')
    local record = redis.call('HMGET', record_key, 'state', 'exp', 'deadline', 'reason', 'ended_at',
                              'stock_event', 'stock_version')
    local state = record[1]
    if state == 'ended' then
      -- a purchase holds its ticket until a stock report counted the sale
      if record[4] ~= 'purchase_completed' or sale_counted(record[5], record[6], record[7]) then
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
      redis.call('ZREM', K.waitlist_offers, visitor)
      set_entry(visitor, entry, done)
      if done == 'lapsed' then lapsed = lapsed + 1 end
    end
  end
  if not done then
    outstanding = outstanding + 1
  end
end

-- 2. offer what is left over to the list, in queue order, while the queue is sold out by stock
local state = redis.call('HGET', K.config, 'state') or ''
local by_stock = redis.call('HGET', K.config, 'sold_out_by_stock')
local remaining = tonumber(redis.call('HGET', K.stock, 'remaining_total') or '0') or 0
local offered = 0
if state == 'sold_out' and by_stock then
  local free = remaining - outstanding
  local limit = tonumber(ARGV[6])
  while free > 0 and offered < limit do
    local next_up = redis.call('ZRANGE', K.waitlist, 0, 0)
    if #next_up == 0 or not record_of[next_up[1]] then break end
    local visitor = next_up[1]
    local record_key = record_of[visitor]
    redis.call('ZREM', K.waitlist, visitor)
    local entry = cjson.decode(redis.call('HGET', K.waitlist_entries, visitor) or '{}')
    local position = tonumber(entry.position) or 0
    if redis.call('EXISTS', record_key) == 0
        and (position <= 0 or redis.call('GETBIT', K.passes_issued, position) == 0) then
      local expires_at = math.floor(now) + tonumber(ARGV[4])
      redis.call('HSET', record_key, 'exp', expires_at, 'position', position, 'visitor', visitor,
                 'state', 'issued', 'offer', 1)
      redis.call('EXPIREAT', record_key, expires_at + tonumber(ARGV[5]))
      if position > 0 then redis.call('SETBIT', K.passes_issued, position, 1) end
      redis.call('ZADD', K.waitlist_offers, expires_at, visitor)
      entry.expires_at = expires_at
      set_entry(visitor, entry, 'offered')
      local message_id = 'waitlist_offer:' .. entry.pass_id
      local payload = cjson.encode({ kind = 'waitlist_offer', queue_id = ARGV[2],
                                     email = entry.email, lang = entry.lang,
                                     pass_id = entry.pass_id, expires_at = expires_at })
      enqueue_mail(message_id, payload)
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
if state == 'sold_out' and by_stock and outstanding == 0 and redis.call('ZCARD', K.waitlist) == 0
    and remaining > 0 and redis.call('HGET', K.stock, 'condition') == 'available' then
  set_state(by_stock)
  redis.call('HDEL', K.config, 'sold_out_by_stock')
  reopened = 1
end
return { offered, lapsed, outstanding, reopened }
