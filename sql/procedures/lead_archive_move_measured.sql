-- lead_archive_move_measured: lead_archive_move, then a second result set of one row and
-- column, lock_ms: the longest a single statement of the call held vicidial_list, in ms (also
-- in the audit row, max_lock_ms). What the gateway (lead_archive_gateway_move) and the bulk
-- client's direct transport call, so that the client can adapt its batch size.
-- Session: as lead_archive_move_core; nothing else.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_move_measured;

DELIMITER //
CREATE PROCEDURE lead_archive_move_measured (
    IN p_direction VARCHAR(16),
    IN p_actor VARCHAR(128),
    IN p_request_id VARCHAR(64),
    IN p_lead_ids LONGTEXT,
    IN p_insert BOOLEAN,
    IN p_update BOOLEAN,
    IN p_delete BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_lock_ms DECIMAL(12, 3);

    CALL lead_archive_move_core(
        'run', p_direction, p_actor, p_request_id, p_lead_ids, p_insert, p_update, p_delete,
        v_lock_ms
    );
    SELECT v_lock_ms AS lock_ms;
END//
DELIMITER ;
