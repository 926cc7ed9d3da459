-- lead_archive_run: runs one generated statement of the procedures (PREPARE, EXECUTE,
-- DEALLOCATE) and returns its ROW_COUNT(). PREPARE takes its text from a user variable on
-- MySQL: @lead_archive_sql, restored to the caller's value afterwards, also when the statement
-- fails. With p_explain the statement is not run but added to the session's temporary table
-- lead_archive_explain (lead_archive_explain reads it), and p_rows is NULL.
-- Session: the prepared statement lead_archive_stmt, deallocated; @lead_archive_sql, restored.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_run;

DELIMITER //
CREATE PROCEDURE lead_archive_run (
    IN p_explain BOOLEAN,
    IN p_sql LONGTEXT,
    OUT p_rows BIGINT
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_saved_sql LONGTEXT DEFAULT @lead_archive_sql;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            DEALLOCATE PREPARE lead_archive_stmt;
        END;
        SET @lead_archive_sql = v_saved_sql;
        RESIGNAL;
    END;

    IF p_explain THEN
        INSERT INTO lead_archive_explain (statement_text) VALUES (p_sql);
        SET p_rows = NULL;
    ELSE
        SET @lead_archive_sql = p_sql;
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        SET p_rows = ROW_COUNT();
        DEALLOCATE PREPARE lead_archive_stmt;
        SET @lead_archive_sql = v_saved_sql;
    END IF;
END//
DELIMITER ;
