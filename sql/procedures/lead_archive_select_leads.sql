-- lead_archive_select_leads: the ids a bulk run works on, read only, in lead_id order.
-- Every filter is optional (NULL = no filter): p_list_ids and p_statuses are JSON arrays,
-- the dates compare with entry_date and last_local_call_time (a NULL date never matches).
-- p_table is 'vicidial_list' (to archive) or 'vicidial_list_archive' (to restore).
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_select_leads;

DELIMITER //
CREATE PROCEDURE lead_archive_select_leads (
    IN p_table VARCHAR(64),
    IN p_list_ids LONGTEXT,
    IN p_statuses LONGTEXT,
    IN p_entry_before DATETIME,
    IN p_last_call_before DATETIME
)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'lead-archive 1'
BEGIN
    IF p_table = 'vicidial_list' THEN
        SELECT lead_id
        FROM vicidial_list
        WHERE
            (p_list_ids IS NULL OR JSON_CONTAINS(p_list_ids, CAST(list_id AS CHAR)))
            AND (p_statuses IS NULL OR JSON_CONTAINS(p_statuses, JSON_QUOTE(`status`)))
            AND (p_entry_before IS NULL OR entry_date < p_entry_before)
            AND (p_last_call_before IS NULL OR last_local_call_time < p_last_call_before)
        ORDER BY lead_id;
    ELSEIF p_table = 'vicidial_list_archive' THEN
        SELECT lead_id
        FROM vicidial_list_archive
        WHERE
            (p_list_ids IS NULL OR JSON_CONTAINS(p_list_ids, CAST(list_id AS CHAR)))
            AND (p_statuses IS NULL OR JSON_CONTAINS(p_statuses, JSON_QUOTE(`status`)))
            AND (p_entry_before IS NULL OR entry_date < p_entry_before)
            AND (p_last_call_before IS NULL OR last_local_call_time < p_last_call_before)
        ORDER BY lead_id;
    ELSE
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'internal_error: p_table must be vicidial_list or vicidial_list_archive';
    END IF;
END//
DELIMITER ;
