-- Entry scan of one ticket, recorded once per scan id (sending the same scan again changes
-- nothing and answers the same). A valid ticket is admitted exactly once; the ticket's state
-- keeps the time of its earliest admission.
-- KEYS[1] = tickets              ticket id -> valid | used:<ms> | refunded (hash)
-- KEYS[2] = ticket_details       ticket id -> details JSON (hash)
-- KEYS[3] = entries              ticket id -> entry scans JSON (hash)
-- KEYS[4] = ticket_changes       ticket id scored by its change version (sorted set)
-- ARGV[1] = ticket_id
-- ARGV[2] = scan_id
-- ARGV[3] = scanned_at_ms        '' = now on the Redis clock
-- ARGV[4] = door
-- ARGV[5] = device
-- ARGV[6] = decision             'check' (online: this script decides) | 'admitted' | 'rejected'
--                                (decided by a scanner while offline, sent when it synced)
-- Returns {outcome, state, entries_json, details_json}; outcome is 'admitted' (first
-- admission), 'already_scanned' (turned away: used before), 'duplicate' (let in offline although
-- already used: admitted twice), 'refunded', 'not_admitted' (turned away by an offline scanner
-- though valid) or 'unknown'.
local ticket_id, scan_id, door, device, decision = ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6]
local state = redis.call('HGET', K.tickets, ticket_id)
if not state then return {'unknown', '', '[]', ''} end
local details = redis.call('HGET', K.ticket_details, ticket_id) or ''
local raw = redis.call('HGET', K.entries, ticket_id)
local entries = raw and cjson.decode(raw) or {}
for _, entry in ipairs(entries) do
  if entry.scan_id == scan_id then return {entry.outcome, state, raw, details} end
end

local now = now_ms()
local at = tonumber(ARGV[3]) or now
local outcome, admitted = 'already_scanned', false
if state == 'refunded' then
  outcome, admitted = 'refunded', decision == 'admitted'
elseif decision == 'rejected' then
  outcome = (state == 'valid') and 'not_admitted' or 'already_scanned'
elseif state == 'valid' then
  outcome, admitted = 'admitted', true
  redis.call('HSET', K.tickets, ticket_id, 'used:' .. at)
elseif decision == 'admitted' then
  outcome, admitted = 'duplicate', true
  if at < tonumber(string.sub(state, 6)) then
    redis.call('HSET', K.tickets, ticket_id, 'used:' .. at)
  end
end
state = redis.call('HGET', K.tickets, ticket_id)

if #entries < 20 then
  table.insert(entries, {
    scan_id = scan_id, at_ms = at, door = door, device = device, admitted = admitted,
    outcome = outcome, offline = decision ~= 'check', recorded_at_ms = now
  })
  raw = cjson.encode(entries)
  redis.call('HSET', K.entries, ticket_id, raw)
  tickets_changed({ticket_id})
end
return {outcome, state, raw or '[]', details}
