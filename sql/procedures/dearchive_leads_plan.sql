-- dearchive_leads_plan: what dearchive_leads would do now, nothing written (no lead table, no
-- audit row). Same checks, refusals and result set (lead_id, inserted, updated, deleted,
-- reason); on tables that do not change in between, dearchive_leads then does exactly this.
--   CALL dearchive_leads_plan('[1,2]', TRUE, TRUE);
-- Refused inside an open transaction (caller_in_transaction). The session is left as it was:
-- working tables, variables and settings as lead_archive_move_core describes.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS dearchive_leads_plan;

DELIMITER //
CREATE PROCEDURE dearchive_leads_plan (
    IN lead_ids LONGTEXT,
    IN insert_leads BOOLEAN,
    IN delete_leads BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_lock_ms DECIMAL(12, 3);

    CALL lead_archive_move_core(
        'plan', 'dearchive', SESSION_USER(), NULL, lead_ids, insert_leads, FALSE,
        delete_leads, v_lock_ms
    );
END//
DELIMITER ;
