-- Deliveries that are never pushed (those of pull subscriptions, taken by the subscriber, and
-- those of ended subscriptions) get the largest next_at, so the push worker's look-up of due
-- deliveries, in next_at order on (status, next_at), reads only due push deliveries however
-- many wait for a puller.
UPDATE lgsp_deliveries SET next_at = 9223372036854775807
WHERE status = 'pending' AND subscription_id IN (SELECT id FROM lgsp_subscriptions WHERE mode = 'pull' OR NOT active);
