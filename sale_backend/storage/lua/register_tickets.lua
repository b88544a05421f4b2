-- Details and short codes for tickets sold before short codes existed (idempotent: tickets that
-- have details keep them). ARGV: groups (ticket_id, short_code, details_json).
-- Returns {'ok', registered_count} | {'collision', short_code} (nothing written)
local fresh = {}
for index = 1, #ARGV, 3 do
  if redis.call('HEXISTS', KEYS[18], ARGV[index]) == 0 then
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
