-- The pass of one place: its expiry is fixed when it is first issued (every later poll gets the
-- same deadline), and its record tells what became of it. A queue place gets a pass only when
-- the serving pointer in Redis has passed it: a process whose cached view is behind a pause
-- never admits anyone the pause held back.
-- KEYS[1] = pass_record          the pass's record (hash)
-- KEYS[2] = passes_issued        one bit per position whose pass was issued (bitmap)
-- KEYS[3] = counters             the queue's counters: serving (hash)
-- KEYS[4] = skipped              places the pointer passed because their fan had gone (bitmap)
-- ARGV[1] = position             0 for a code lane's pass (no bit, no pointer check)
-- ARGV[2] = visitor_id
-- ARGV[3] = now_seconds          unix s
-- ARGV[4] = pass_ttl_seconds
-- ARGV[5] = keep_seconds         how long the record outlives the pass
-- Returns {exp, state, deadline, reason}; state is 'issued', 'active', 'ended', 'lost' (the
-- record is gone but the pass was issued: long expired) or 'not_admitted' (the pointer is
-- below the place: no pass) or 'skipped' (the pointer passed the place while its fan was away:
-- no pass until waitroom/queue/away.py readmits it).
local record = redis.call('HMGET', K.pass_record, 'exp', 'state', 'deadline', 'reason')
if record[1] then
  return { record[1], record[2] or 'issued', record[3] or '0', record[4] or '' }
end
local position = tonumber(ARGV[1])
if position > 0 then
  if redis.call('GETBIT', K.passes_issued, position) == 1 then
    return { '0', 'lost', '0', '' }
  end
  local serving = tonumber(redis.call('HGET', K.counters, 'serving') or '0')
  if position > serving then
    return { '0', 'not_admitted', '0', '' }
  end
  if redis.call('GETBIT', K.skipped, position) == 1 then
    return { '0', 'skipped', '0', '' }
  end
end
local expires_at = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', K.pass_record, 'exp', expires_at, 'position', position, 'visitor', ARGV[2],
           'state', 'issued')
redis.call('EXPIREAT', K.pass_record, expires_at + tonumber(ARGV[5]))
if position > 0 then
  redis.call('SETBIT', K.passes_issued, position, 1)
end
return { tostring(expires_at), 'issued', '0', '' }
