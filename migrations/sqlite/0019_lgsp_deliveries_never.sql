-- Deliveries of pull subscriptions are never pushed: they get the largest next_at, so the push
-- worker's look-up of due deliveries, in next_at order on (status, next_at), reads only due
-- push deliveries however many wait for a puller. Those still pending for ended subscriptions
-- are cancelled (no longer attempted nor offered; a subscription started again begins anew).
UPDATE lgsp_deliveries SET status = 'cancelled'
WHERE status = 'pending' AND subscription_id IN (SELECT id FROM lgsp_subscriptions WHERE NOT active);
UPDATE lgsp_deliveries SET next_at = 9223372036854775807
WHERE status = 'pending' AND subscription_id IN (SELECT id FROM lgsp_subscriptions WHERE mode = 'pull');
