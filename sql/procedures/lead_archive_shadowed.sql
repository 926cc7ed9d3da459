-- lead_archive_shadowed: does a TEMPORARY table of this session hide the table p_table?
-- Inside the procedures an unqualified name means the session's temporary table first, and
-- information_schema does not show temporary tables (MariaDB before 11.2, MySQL): a call would
-- then copy into, compare with or delete from a table that vanishes at disconnect. Portable
-- test: CREATE TEMPORARY TABLE of that name fails with error 1050 exactly when the session has
-- one; when it succeeds, the table just made is dropped again (MEMORY: no file is written).
-- Session: as lead_archive_work_reclaim (nothing left behind).
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_shadowed;

DELIMITER //
CREATE PROCEDURE lead_archive_shadowed (
    IN p_table VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci,
    OUT p_shadowed BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_saved_sql LONGTEXT DEFAULT @lead_archive_sql;

    SET p_shadowed = FALSE;
    SET @lead_archive_sql = CONCAT(
        'CREATE TEMPORARY TABLE `', p_table, '` (lead_archive_probe TINYINT) ENGINE = MEMORY'
    );
    PREPARE lead_archive_stmt FROM @lead_archive_sql;
    BEGIN
        DECLARE CONTINUE HANDLER FOR 1050 SET p_shadowed = TRUE;
        EXECUTE lead_archive_stmt;
    END;
    IF NOT p_shadowed THEN
        -- the table this probe made, never the caller's
        SET @lead_archive_sql = CONCAT('DROP TEMPORARY TABLE `', p_table, '`');
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
    END IF;
    DEALLOCATE PREPARE lead_archive_stmt;
    SET @lead_archive_sql = v_saved_sql;
END//
DELIMITER ;
