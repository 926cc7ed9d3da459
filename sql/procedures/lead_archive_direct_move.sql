-- lead_archive_direct_move: lead_archive_move for an operator's own database account (the
-- bulk client's --direct), with an actor of its choosing for the audit, and VICIdial's admin
-- log as archive_leads writes it (user: the calling account's user name, ip_address: its host)
-- unless p_vicidial_log is FALSE (LEAD_ARCHIVE_VICIDIAL_LOG=off). The gateway's account may
-- not call it. Returns what lead_archive_move returns.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_direct_move;

DELIMITER //
CREATE PROCEDURE lead_archive_direct_move (
    IN p_direction VARCHAR(16),
    IN p_actor VARCHAR(128),
    IN p_request_id VARCHAR(64),
    IN p_lead_ids LONGTEXT,
    IN p_insert BOOLEAN,
    IN p_update BOOLEAN,
    IN p_delete BOOLEAN,
    IN p_vicidial_log BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_account VARCHAR(255) DEFAULT SESSION_USER();

    CALL lead_archive_move_measured(
        p_direction, p_actor, p_request_id, p_lead_ids, p_insert, p_update, p_delete
    );
    CALL lead_archive_vicidial_log(
        p_direction, COALESCE(p_actor, v_account), p_request_id, p_lead_ids, NULL,
        SUBSTRING_INDEX(v_account, '@', 1),
        NULL,
        IF(LOCATE('@', v_account) > 0, SUBSTRING_INDEX(v_account, '@', -1), ''),
        NULL, FALSE, NULL, p_vicidial_log
    );
END//
DELIMITER ;
