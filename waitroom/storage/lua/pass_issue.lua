-- The pass of one place: its expiry is fixed when it is first issued (every later poll gets the
-- same deadline), and its record tells what became of it.
-- KEYS[1] the pass record (hash wr:{q:<id>}:pass:<pass id>), KEYS[2] the passes_issued bitmap
-- (one bit per position, kept for the queue's life: a record that expired was issued once).
-- ARGV[1] position (0 for a code lane's pass: no bit), ARGV[2] visitor id, ARGV[3] now (unix s), ARGV[4] pass ttl (s),
-- ARGV[5] how long the record outlives the pass (s).
-- Returns {exp, state, deadline, reason}; state is 'issued', 'active', 'ended' or 'lost' (the
-- record is gone but the pass was issued: long expired).
local record = redis.call('HMGET', KEYS[1], 'exp', 'state', 'deadline', 'reason')
if record[1] then
  return { record[1], record[2] or 'issued', record[3] or '0', record[4] or '' }
end
local position = tonumber(ARGV[1])
if position > 0 and redis.call('GETBIT', KEYS[2], position) == 1 then
  return { '0', 'lost', '0', '' }
end
local expires_at = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'exp', expires_at, 'position', position, 'visitor', ARGV[2],
           'state', 'issued')
redis.call('EXPIREAT', KEYS[1], expires_at + tonumber(ARGV[5]))
if position > 0 then
  redis.call('SETBIT', KEYS[2], position, 1)
end
return { tostring(expires_at), 'issued', '0', '' }
