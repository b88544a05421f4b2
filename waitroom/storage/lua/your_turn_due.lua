-- Your-turn e-mails (waitroom/queue/your_turn.py): move the opted-in fans whose place the
-- serving pointer passed into the queue's mail outbox, in one step (each e-mail once).
-- KEYS[1] = counters             tail, serving, epoch... (hash)
-- KEYS[2] = your_turn            visitor id -> place of the fans waiting for it (sorted set)
-- KEYS[3] = your_turn_mail       visitor id -> JSON {email, lang, position, epoch} (hash)
-- KEYS[4] = mail_outbox          e-mail id -> due time, ms (sorted set)
-- KEYS[5] = mail_messages        e-mail id -> JSON payload (hash)
-- ARGV[1] = limit                most e-mails queued in one step
-- ARGV[2] = queue_id
-- Returns the number of e-mails queued.
local serving = tonumber(redis.call('HGET', K.counters, 'serving') or '0') or 0
if serving <= 0 then
  return 0
end
local due = redis.call('ZRANGEBYSCORE', K.your_turn, 1, serving, 'LIMIT', 0, tonumber(ARGV[1]))
local queued = 0
for _, visitor in ipairs(due) do
  local raw = redis.call('HGET', K.your_turn_mail, visitor)
  if raw then
    local entry = cjson.decode(raw)
    local message_id = 'your_turn:' .. redis.sha1hex(visitor) .. ':' .. tostring(entry.position)
    local payload = cjson.encode({ kind = 'your_turn', queue_id = ARGV[2], email = entry.email,
                                   lang = entry.lang, position = entry.position,
                                   epoch = entry.epoch, visitor = visitor })
    if enqueue_mail(message_id, payload) then queued = queued + 1 end
  end
  redis.call('ZREM', K.your_turn, visitor)
  redis.call('HDEL', K.your_turn_mail, visitor)
end
return queued
