-- lead_archive_work_drop: drops the working tables of the procedures that this session holds
-- (lead_archive_request, lead_archive_source_columns, lead_archive_target_columns,
-- lead_archive_problems, lead_archive_check_report), the way out of a refused or failed call.
-- Only tables that carry the column lead_archive_work are dropped: a caller's own temporary
-- table of one of those names is left alone (lead_archive_work_reclaim).
-- Session: as lead_archive_work_reclaim (nothing left behind).
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_work_drop;

DELIMITER //
CREATE PROCEDURE lead_archive_work_drop ()
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    CALL lead_archive_work_reclaim('lead_archive_request', FALSE);
    CALL lead_archive_work_reclaim('lead_archive_source_columns', FALSE);
    CALL lead_archive_work_reclaim('lead_archive_target_columns', FALSE);
    CALL lead_archive_work_reclaim('lead_archive_problems', FALSE);
    CALL lead_archive_work_reclaim('lead_archive_check_report', FALSE);
END//
DELIMITER ;
