-- Your-turn e-mails (waitroom/queue/your_turn.py): move the opted-in fans whose place the
-- serving pointer passed into the queue's mail outbox, in one step (each e-mail once).
-- KEYS[1] counters, KEYS[2] your_turn (sorted set visitor -> position),
-- KEYS[3] your_turn_mail (hash visitor -> JSON {email, lang, position}),
-- KEYS[4] mail_outbox, KEYS[5] mail_messages. ARGV[1] how many at most, ARGV[2] queue id.
-- Returns the number of e-mails queued.
local serving = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0') or 0
if serving <= 0 then
  return 0
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], 1, serving, 'LIMIT', 0, tonumber(ARGV[1]))
local queued = 0
for _, visitor in ipairs(due) do
  local raw = redis.call('HGET', KEYS[3], visitor)
  if raw then
    local entry = cjson.decode(raw)
    local message_id = 'your_turn:' .. redis.sha1hex(visitor) .. ':' .. tostring(entry.position)
    local payload = cjson.encode({ kind = 'your_turn', queue_id = ARGV[2], email = entry.email,
                                   lang = entry.lang, position = entry.position,
                                   epoch = entry.epoch, visitor = visitor })
    if redis.call('HSETNX', KEYS[5], message_id, payload) == 1 then
      redis.call('ZADD', KEYS[4], 0, message_id)
      queued = queued + 1
    end
  end
  redis.call('ZREM', KEYS[2], visitor)
  redis.call('HDEL', KEYS[3], visitor)
end
return queued
