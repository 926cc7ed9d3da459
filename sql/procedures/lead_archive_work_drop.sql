-- lead_archive_work_drop: drops the working tables of the procedures that this session holds
-- (lead_archive_request, lead_archive_source_columns, lead_archive_target_columns,
-- lead_archive_problems, lead_archive_check_report), the way out of a refused or failed call.
-- Only tables that carry the column lead_archive_work are dropped: a caller's own temporary
-- table of one of those names is left alone (lead_archive_work_reclaim). Static statements:
-- refusals are frequent (a bulk run resends what another took), this stays cheap.
-- Session: nothing left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_work_drop;

DELIMITER //
CREATE PROCEDURE lead_archive_work_drop ()
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_ours BOOLEAN DEFAULT TRUE;
    DECLARE v_count INT;

    SET v_ours = TRUE;
    BEGIN
        -- no such table (1146), or the caller's own without the marker column (1054)
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
        SELECT COUNT(lead_archive_work) INTO v_count
        FROM lead_archive_request
        WHERE FALSE;
    END;
    IF v_ours THEN
        DROP TEMPORARY TABLE IF EXISTS lead_archive_request;
    END IF;

    SET v_ours = TRUE;
    BEGIN
        -- no such table (1146), or the caller's own without the marker column (1054)
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
        SELECT COUNT(lead_archive_work) INTO v_count
        FROM lead_archive_source_columns
        WHERE FALSE;
    END;
    IF v_ours THEN
        DROP TEMPORARY TABLE IF EXISTS lead_archive_source_columns;
    END IF;

    SET v_ours = TRUE;
    BEGIN
        -- no such table (1146), or the caller's own without the marker column (1054)
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
        SELECT COUNT(lead_archive_work) INTO v_count
        FROM lead_archive_target_columns
        WHERE FALSE;
    END;
    IF v_ours THEN
        DROP TEMPORARY TABLE IF EXISTS lead_archive_target_columns;
    END IF;

    SET v_ours = TRUE;
    BEGIN
        -- no such table (1146), or the caller's own without the marker column (1054)
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
        SELECT COUNT(lead_archive_work) INTO v_count
        FROM lead_archive_problems
        WHERE FALSE;
    END;
    IF v_ours THEN
        DROP TEMPORARY TABLE IF EXISTS lead_archive_problems;
    END IF;

    SET v_ours = TRUE;
    BEGIN
        -- no such table (1146), or the caller's own without the marker column (1054)
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET v_ours = FALSE;
        SELECT COUNT(lead_archive_work) INTO v_count
        FROM lead_archive_check_report
        WHERE FALSE;
    END;
    IF v_ours THEN
        DROP TEMPORARY TABLE IF EXISTS lead_archive_check_report;
    END IF;
END//
DELIMITER ;
