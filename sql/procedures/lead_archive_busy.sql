-- lead_archive_busy: what makes a lead busy, for lead_archive_move (archive only). A busy lead
-- is never deleted from vicidial_list. Each table counts only where it exists:
--   vicidial_hopper, vicidial_auto_calls, vicidial_live_agents, vicidial_shared_drops,
--   vicidial_hci_reserve: any row of the lead;
--   vicidial_callbacks: status ACTIVE or LIVE;
--   vicidial_inbound_callback_queue: icbq_status NEW, LIVE or SENDING;
--   vicidial_abandon_check_queue: check_status NEW, QUEUE or PROCESSING.
-- p_busy: ' OR EXISTS (...)' per table, LEADID standing for the lead_id column of the statement
-- that uses it ('' when none exists). A busy table hidden by a TEMPORARY table of this session
-- adds a row to lead_archive_problems (lead_archive_shadowed).
-- Session: nothing left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_busy;

DELIMITER //
CREATE PROCEDURE lead_archive_busy (
    OUT p_busy LONGTEXT
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_tables TEXT DEFAULT '';

    -- MariaDB 11.2+ lists the session's temporary tables here too (TABLE_TYPE 'TEMPORARY')
    SELECT
        COALESCE(GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME SEPARATOR ','), '') AS busy_tables,
        COALESCE(GROUP_CONCAT(
            CONCAT(
                ' OR EXISTS (SELECT 1 FROM `', TABLE_NAME, '` AS b WHERE b.lead_id = LEADID',
                CASE TABLE_NAME
                    WHEN 'vicidial_callbacks'
                        THEN ' AND b.status IN (''ACTIVE'', ''LIVE'')'
                    WHEN 'vicidial_inbound_callback_queue'
                        THEN ' AND b.icbq_status IN (''NEW'', ''LIVE'', ''SENDING'')'
                    WHEN 'vicidial_abandon_check_queue'
                        THEN ' AND b.check_status IN (''NEW'', ''QUEUE'', ''PROCESSING'')'
                    ELSE ''
                END,
                ')'
            )
            ORDER BY TABLE_NAME SEPARATOR ''
        ), '') AS busy_expression
    INTO v_tables, p_busy
    FROM information_schema.TABLES
    WHERE
        TABLE_SCHEMA = DATABASE()
        AND TABLE_TYPE != 'TEMPORARY'
        -- exact names: with case-sensitive table names a VICIDIAL_HOPPER is another table
        AND TABLE_NAME COLLATE utf8mb3_bin IN (
            'vicidial_hopper',
            'vicidial_auto_calls',
            'vicidial_live_agents',
            'vicidial_callbacks',
            'vicidial_inbound_callback_queue',
            'vicidial_abandon_check_queue',
            'vicidial_shared_drops',
            'vicidial_hci_reserve'
        );

    CALL lead_archive_shadowed(v_tables);
END//
DELIMITER ;
