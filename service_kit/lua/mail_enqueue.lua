-- Shared prelude: the one way a message enters a mail outbox (service_kit/mail_outbox.py), so
-- an e-mail is queued in the same atomic step as what it tells about. Every script of either
-- app that queues mail includes it; such a script declares the outbox's keys K.mail_outbox
-- (message id -> due time, ms; sorted set) and K.mail_messages (message id -> JSON payload;
-- hash). A message id that is already waiting is left as it is (ids make queuing idempotent).
-- Returns true when the message was added.
local function enqueue_mail(message_id, payload)
  if redis.call('HSETNX', K.mail_messages, message_id, payload) == 0 then return false end
  redis.call('ZADD', K.mail_outbox, 'NX', 0, message_id)
  return true
end
