-- lead_archive_call_time: one row of VICIdial's vicidial_call_times, for a gateway that takes
-- its office hours from it (LEAD_ARCHIVE_CALL_TIME_ID). HHMM integers: the default pair, then
-- Monday to Sunday. No row when the call time does not exist.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_call_time;

DELIMITER //
CREATE PROCEDURE lead_archive_call_time (
    IN p_call_time_id VARCHAR(10)
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    SELECT
        ct_default_start,
        ct_default_stop,
        ct_monday_start,
        ct_monday_stop,
        ct_tuesday_start,
        ct_tuesday_stop,
        ct_wednesday_start,
        ct_wednesday_stop,
        ct_thursday_start,
        ct_thursday_stop,
        ct_friday_start,
        ct_friday_stop,
        ct_saturday_start,
        ct_saturday_stop,
        ct_sunday_start,
        ct_sunday_stop
    FROM vicidial_call_times
    WHERE call_time_id = p_call_time_id;
END//
DELIMITER ;
