-- lead_archive_check: the readiness report behind `lead-archive db check` and GET /readyz.
-- One row per problem: the copy in either direction would lose data (lead_archive_guard: the
-- columns, a target engine that does not keep its rows over a restart, a table hidden by a
-- TEMPORARY table of this session), or a table is missing.
-- SQL SECURITY DEFINER, so the gateway's EXECUTE-only account can run it.
-- Session: uses the temporary tables lead_archive_check_report, lead_archive_source_columns,
-- lead_archive_target_columns, lead_archive_problems (never a caller's table of the same name),
-- @lead_archive_sql and the prepared statement lead_archive_stmt; sets sql_safe_updates=0,
-- sql_big_selects=1 and a max_heap_table_size the working tables fit in; drops, deallocates
-- and restores all of it on the way out.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_check;

DELIMITER //
CREATE PROCEDURE lead_archive_check ()
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_taken BOOLEAN DEFAULT FALSE;
    DECLARE v_max_heap_table_size BIGINT UNSIGNED DEFAULT @@SESSION.max_heap_table_size;
    DECLARE v_room BIGINT UNSIGNED;
    DECLARE v_sql_safe_updates BIGINT DEFAULT @@SESSION.sql_safe_updates;
    DECLARE v_sql_big_selects BIGINT DEFAULT @@SESSION.sql_big_selects;
    DECLARE v_user_sql LONGTEXT DEFAULT @lead_archive_sql;
    -- the report numbers its rows: the caller's LAST_INSERT_ID() is given back on the way out
    DECLARE v_last_insert_id BIGINT UNSIGNED DEFAULT LAST_INSERT_ID();

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            DEALLOCATE PREPARE lead_archive_stmt;
        END;
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL lead_archive_work_drop();
        END;
        SET SESSION max_heap_table_size = v_max_heap_table_size;
        SET SESSION sql_safe_updates = v_sql_safe_updates;
        SET SESSION sql_big_selects = v_sql_big_selects;
        SET @lead_archive_sql = v_user_sql;
        DO LAST_INSERT_ID(v_last_insert_id);
        RESIGNAL;
    END;

    -- through a variable: MySQL refuses GREATEST()'s type for an integer setting
    SET v_room = GREATEST(v_max_heap_table_size, 16777216);
    SET SESSION max_heap_table_size = v_room;
    SET SESSION sql_safe_updates = 0;
    SET SESSION sql_big_selects = 1;
    -- A table of this name already in the session: lead_archive_work_reclaim.
    report: LOOP
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_taken = TRUE;
            -- a primary key: sql_require_primary_key (MySQL) refuses a table without one
            CREATE TEMPORARY TABLE lead_archive_check_report (
                report_no INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                direction VARCHAR(16) NOT NULL,
                column_name VARCHAR(64) NOT NULL,
                problem VARCHAR(512) NOT NULL,
                lead_archive_work TINYINT NULL
            ) ENGINE = MEMORY;
        END;
        IF NOT v_taken THEN
            LEAVE report;
        END IF;
        CALL lead_archive_work_reclaim('lead_archive_check_report', TRUE);
        SET v_taken = FALSE;
    END LOOP;

    INSERT INTO lead_archive_check_report (direction, column_name, problem)
    SELECT
        'install' AS direction,
        '' AS column_name,
        CONCAT('table ', needed.table_name, ' does not exist (lead-archive db install)')
            AS problem
    FROM (
        SELECT 'lead_archive_audit' AS table_name
        UNION ALL
        SELECT 'lead_archive_api_users' AS table_name
    ) AS needed
    WHERE NOT EXISTS (
        SELECT 1 FROM information_schema.TABLES AS t
        WHERE
            t.TABLE_SCHEMA = DATABASE()
            AND t.TABLE_NAME = needed.table_name
            AND t.TABLE_TYPE != 'TEMPORARY'
    );

    CALL lead_archive_guard('vicidial_list', 'vicidial_list_archive');
    INSERT INTO lead_archive_check_report (direction, column_name, problem)
    SELECT
        'archive' AS direction,
        column_name,
        problem
    FROM lead_archive_problems;
    -- the guard makes its working tables anew
    DROP TEMPORARY TABLE lead_archive_source_columns, lead_archive_target_columns,
    lead_archive_problems;

    CALL lead_archive_guard('vicidial_list_archive', 'vicidial_list');
    INSERT INTO lead_archive_check_report (direction, column_name, problem)
    SELECT
        'dearchive' AS direction,
        column_name,
        problem
    FROM lead_archive_problems;

    SELECT
        direction,
        column_name,
        problem
    FROM lead_archive_check_report
    ORDER BY direction, column_name;
    DROP TEMPORARY TABLE lead_archive_check_report, lead_archive_source_columns,
    lead_archive_target_columns, lead_archive_problems;
    SET SESSION max_heap_table_size = v_max_heap_table_size;
    SET SESSION sql_safe_updates = v_sql_safe_updates;
    SET SESSION sql_big_selects = v_sql_big_selects;
    SET @lead_archive_sql = v_user_sql;
    DO LAST_INSERT_ID(v_last_insert_id);
END//
DELIMITER ;
