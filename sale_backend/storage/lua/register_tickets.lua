-- Details and short codes for tickets sold before short codes existed (idempotent: tickets that
-- have details keep them).
-- KEYS[1] = short_codes          short code -> ticket id (hash)
-- KEYS[2] = ticket_details       ticket id -> details JSON (hash)
-- KEYS[3] = ticket_changes       ticket id scored by its change version (sorted set)
-- ARGV[1..] = tickets            groups (ticket_id, short_code, details_json)
-- Returns {'ok', registered_count} | {'collision', short_code} (nothing written)
local fresh = {}
for index = 1, #ARGV, 3 do
  if redis.call('HEXISTS', K.ticket_details, ARGV[index]) == 0 then
    if short_code_taken(ARGV[index + 1], ARGV[index]) then return {'collision', ARGV[index + 1]} end
    table.insert(fresh, index)
  end
end
local registered = {}
for _, index in ipairs(fresh) do
  register_ticket(ARGV[index], ARGV[index + 1], ARGV[index + 2])
  table.insert(registered, ARGV[index])
end
if #registered > 0 then tickets_changed(registered) end
return {'ok', #registered}
