-- Each delivery keeps how it was to reach its subscriber (push or pull) when it was made: a
-- subscription ended and started again in the other mode changes what comes after, not how
-- an earlier event went.
ALTER TABLE lgsp_deliveries ADD COLUMN mode TEXT;
UPDATE lgsp_deliveries SET mode = (SELECT s.mode FROM lgsp_subscriptions s WHERE s.id = lgsp_deliveries.subscription_id);
