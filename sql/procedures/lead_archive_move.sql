-- lead_archive_move: the verified move, run (lead_archive_move_core describes the rules, the
-- steps and the session it uses and leaves as it found it).
--   p_direction 'archive':   vicidial_list -> vicidial_list_archive
--   p_direction 'dearchive': vicidial_list_archive -> vicidial_list (p_update ignored)
-- One result set: lead_id, inserted, updated, deleted, reason (one row per id, in order).
-- lead_archive_move_measured returns the same and how long the call held vicidial_list.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_move;

DELIMITER //
CREATE PROCEDURE lead_archive_move (
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
END//
DELIMITER ;
