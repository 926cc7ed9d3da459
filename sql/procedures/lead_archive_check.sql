-- lead_archive_check: the readiness report behind `lead-archive db check` and GET /readyz.
-- One row per problem: the copy in either direction would lose data, or a table is missing.
-- SQL SECURITY DEFINER, so the gateway's EXECUTE-only account can run it.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_check;

DELIMITER //
CREATE PROCEDURE lead_archive_check ()
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DROP TEMPORARY TABLE IF EXISTS lead_archive_check_report;
    CREATE TEMPORARY TABLE lead_archive_check_report (
        direction VARCHAR(16) NOT NULL,
        column_name VARCHAR(64) NOT NULL,
        problem VARCHAR(512) NOT NULL
    ) ENGINE = MEMORY;

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
        WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = needed.table_name
    );

    CALL lead_archive_guard('vicidial_list', 'vicidial_list_archive');
    INSERT INTO lead_archive_check_report (direction, column_name, problem)
    SELECT
        'archive' AS direction,
        column_name,
        problem
    FROM lead_archive_problems;

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
    DROP TEMPORARY TABLE lead_archive_check_report;
END//
DELIMITER ;
