-- lead_archive_work_reclaim: the name of a working table of the procedures (lead_archive_request,
-- lead_archive_source_columns, lead_archive_target_columns, lead_archive_problems,
-- lead_archive_check_report) is taken by a TEMPORARY table of this session.
-- Every working table carries the column lead_archive_work. One that has it was left by a call
-- killed before its cleanup (KILL QUERY, max_statement_time): it is dropped. Any other table of
-- that name is the caller's own and is never dropped: with p_refuse the call is refused
-- (schema_mismatch, one detail row first), without it the table is left alone.
-- Session: the prepared statement lead_archive_stmt, deallocated; @lead_archive_sql, restored.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_work_reclaim;

DELIMITER //
CREATE PROCEDURE lead_archive_work_reclaim (
    IN p_table VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci,
    IN p_refuse BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_ours BOOLEAN DEFAULT TRUE;
    DECLARE v_message TEXT;
    DECLARE v_saved_sql LONGTEXT DEFAULT @lead_archive_sql;

    -- Preparing a statement that names the marker column fails unless the table has it (or
    -- when there is no table of that name at all).
    SET @lead_archive_sql = CONCAT(
        'DO (SELECT COUNT(lead_archive_work) FROM `', p_table, '` WHERE FALSE)'
    );
    BEGIN
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
    END;
    IF v_ours THEN
        SET @lead_archive_sql = CONCAT('DROP TEMPORARY TABLE `', p_table, '`');
        BEGIN
            -- a base table of that name with the marker column: nothing temporary to drop
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
            PREPARE lead_archive_stmt FROM @lead_archive_sql;
            EXECUTE lead_archive_stmt;
            DEALLOCATE PREPARE lead_archive_stmt;
        END;
    END IF;
    SET @lead_archive_sql = v_saved_sql;

    IF NOT v_ours AND p_refuse THEN
        -- at most 128 characters with the code (MySQL's limit for MESSAGE_TEXT)
        SET v_message = CONCAT(
            'this session''s TEMPORARY table ', p_table, ' has the name of a working table'
        );
        SELECT
            '' AS column_name,
            v_message AS problem;
        SET v_message = CONCAT('schema_mismatch: ', v_message);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END//
DELIMITER ;
