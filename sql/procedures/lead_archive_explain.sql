-- lead_archive_explain: the statements a call would send to the lead tables, in order, one
-- row each, none run (like pt-archiver --dry-run). Every branch a call may take is listed
-- (the insert, the update and its read-back, each chunk of the delete); a real call skips
-- those it does not need. The checks (id list, schema guard) run as for a call.
--   CALL lead_archive_explain('archive', '[1,2]', TRUE, TRUE, TRUE);
--   CALL lead_archive_explain('dearchive', '[1,2]', TRUE, FALSE, TRUE);
-- Session: the temporary table lead_archive_explain (dropped on the way out, also when the
-- call is refused) and what lead_archive_move_core uses; nothing left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_explain;

DELIMITER //
CREATE PROCEDURE lead_archive_explain (
    IN p_direction VARCHAR(16),
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
    DECLARE v_created BOOLEAN DEFAULT FALSE;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_created THEN
            DROP TEMPORARY TABLE IF EXISTS lead_archive_explain;
        END IF;
        RESIGNAL;
    END;

    -- a table of that name already in the session: a leftover (dropped) or the caller's
    -- (refused), as for every working table
    BEGIN
        DECLARE CONTINUE HANDLER FOR 1050 SET v_created = FALSE;
        SET v_created = TRUE;
        CREATE TEMPORARY TABLE lead_archive_explain (
            step INT UNSIGNED NOT NULL AUTO_INCREMENT,
            statement_text LONGTEXT NOT NULL,
            lead_archive_work TINYINT NULL,
            PRIMARY KEY (step)
        );
    END;
    IF NOT v_created THEN
        CALL lead_archive_work_reclaim('lead_archive_explain', TRUE);
        CREATE TEMPORARY TABLE lead_archive_explain (
            step INT UNSIGNED NOT NULL AUTO_INCREMENT,
            statement_text LONGTEXT NOT NULL,
            lead_archive_work TINYINT NULL,
            PRIMARY KEY (step)
        );
        SET v_created = TRUE;
    END IF;
    CALL lead_archive_move_core(
        'explain', p_direction, SESSION_USER(), NULL, p_lead_ids, p_insert, p_update, p_delete,
        v_lock_ms
    );
    SELECT statement_text AS `statement` FROM lead_archive_explain
    ORDER BY step;
    DROP TEMPORARY TABLE lead_archive_explain;
END//
DELIMITER ;
