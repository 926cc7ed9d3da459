-- lead_archive_select_leads: the ids a bulk run works on, read only, in lead_id order.
--   CALL lead_archive_select_leads('vicidial_list_archive', '{"phone": ["(555) 010-2030"]}');
-- p_table is 'vicidial_list' (to archive) or 'vicidial_list_archive' (to restore).
-- p_filters is a JSON object; every key is optional and the filters combine with AND:
--   phone             array of phone numbers, matched against phone_number after keeping the
--                     digits only (VICIdial stores phone_number as digits); alt_phone is not
--                     searched: it has no index, so it would read the whole table
--   vendor_lead_code  array of vendor codes
--   list_id           array of list ids
--   status            array of statuses
--                     (strings compare in the column's collation, as VICIdial's search does)
--   entry_before      entry_date < this (a NULL entry_date never matches)
--   entry_after       entry_date >= this
--   last_call_before  last_local_call_time < this
-- An unknown key, a value of the wrong type or an empty array refuses the call
-- (SQLSTATE 45000, 'invalid_selection: ...'). The statement it runs is built by
-- lead_archive_select_sql (CALL it to read the SELECT, or to EXPLAIN it): every value is a
-- quoted literal, so the optimizer sees them and uses the table's indexes (phone_number,
-- list_id, status, (list_id, status)); vendor_lead_code and entry_date have no index in
-- VICIdial's schema and are read by scanning whatever the other filters leave.
-- Session state: user variable @lead_archive_select_sql and the prepared statement
-- lead_archive_select_stmt, both restored / deallocated before it returns.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_select_leads;

DELIMITER //
CREATE PROCEDURE lead_archive_select_leads (
    IN p_table VARCHAR(64),
    IN p_filters LONGTEXT
)
READS SQL DATA
SQL SECURITY INVOKER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_saved LONGTEXT DEFAULT @lead_archive_select_sql;
    DECLARE v_sql LONGTEXT;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET @lead_archive_select_sql = v_saved;
        RESIGNAL;
    END;

    CALL lead_archive_select_sql(p_table, p_filters, v_sql);
    SET @lead_archive_select_sql = v_sql;
    PREPARE lead_archive_select_stmt FROM @lead_archive_select_sql;
    EXECUTE lead_archive_select_stmt;
    DEALLOCATE PREPARE lead_archive_select_stmt;
    SET @lead_archive_select_sql = v_saved;
END//
DELIMITER ;
