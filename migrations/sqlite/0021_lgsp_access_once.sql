-- A client's right on a service is held once: the same right twice would stay open when one of
-- them is withdrawn. Copies made before are removed (the earliest kept), then the index makes
-- two grants at once unable to add a second.
DELETE FROM lgsp_access WHERE id NOT IN (
    SELECT MIN(id) FROM lgsp_access GROUP BY service_id, client_subsystem_id, COALESCE(method, ''), COALESCE(path_prefix, ''));
CREATE UNIQUE INDEX lgsp_access_once ON lgsp_access (service_id, client_subsystem_id, COALESCE(method, ''), COALESCE(path_prefix, ''));
