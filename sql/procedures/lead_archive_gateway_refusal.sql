-- lead_archive_gateway_refusal: the vicidial_api_log row of a request the gateway refused on
-- its own after authenticating its key: office hours, content type, size, body (the refusals
-- before the move call; the move call and lead_archive_authenticate log their own). Called
-- only when LEAD_ARCHIVE_VICIDIAL_LOG is on, after the answer has been sent.
-- The user is found here from the key's SHA-256, as lead_archive_gateway_move finds it: the
-- key's VICIdial user, else the API user; nothing is written for a key no active user holds.
-- p_code is the answer's code (result_reason), p_run_time the seconds the gateway took.
-- Returns one row (vicidial_log): written, absent, error <errno>, or NULL when nothing was due.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_gateway_refusal;

DELIMITER //
CREATE PROCEDURE lead_archive_gateway_refusal (
    IN p_direction VARCHAR(16),
    IN p_key_sha256 BINARY(32),
    IN p_request_id VARCHAR(64),
    IN p_code VARCHAR(64),
    IN p_run_time VARCHAR(20)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_actor VARCHAR(64);
    DECLARE v_bound VARCHAR(20);
    DECLARE v_status VARCHAR(32);

    CALL lead_archive_key_holder(p_key_sha256, v_actor, v_bound);
    IF v_actor IS NOT NULL AND p_direction IN ('archive', 'dearchive') THEN
        CALL lead_archive_vicidial_api_log(
            COALESCE(v_bound, v_actor),
            IF(p_direction = 'archive', 'lead_archive', 'lead_dearchive'),
            'ERROR',
            -- a catalogue code, nothing else
            IF(p_code REGEXP '^[a-z_]{1,64}$', p_code, 'internal_error'),
            '',
            CONCAT('request_id=', COALESCE(p_request_id, '')),
            IF(p_run_time REGEXP '^[0-9]{1,9}([.][0-9]{1,6})?$', p_run_time, '0'),
            v_status
        );
    END IF;
    SELECT v_status AS vicidial_log;
END//
DELIMITER ;
