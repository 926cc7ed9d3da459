-- archive_leads: what a DBA calls. Same semantics as POST /vicidial/leads/archive, without
-- authentication and office hours; recorded in lead_archive_audit under the calling account.
--   CALL archive_leads('[1,2]', TRUE, TRUE, TRUE);
-- lead_ids is LONGTEXT, not JSON: MySQL's JSON type would refuse bad JSON before the
-- id check answers invalid_lead_ids, and would rewrite the text the audit keeps.
-- Refused inside an open transaction (caller_in_transaction). The session is left as it was:
-- working tables, variables and settings as lead_archive_move describes.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS archive_leads;

DELIMITER //
CREATE PROCEDURE archive_leads (
    IN lead_ids LONGTEXT,
    IN insert_leads BOOLEAN,
    IN update_leads BOOLEAN,
    IN delete_leads BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_account VARCHAR(255) DEFAULT SESSION_USER();

    CALL lead_archive_move(
        'archive', v_account, NULL, lead_ids, insert_leads, update_leads, delete_leads
    );
    -- VICIdial's Admin Change Log, where its table exists: the calling account's user name
    -- and host (lead_archive_vicidial_log; the audit row notes the outcome).
    CALL lead_archive_vicidial_log(
        'archive', v_account, NULL, lead_ids, NULL,
        SUBSTRING_INDEX(v_account, '@', 1),
        NULL,
        IF(LOCATE('@', v_account) > 0, SUBSTRING_INDEX(v_account, '@', -1), ''),
        NULL, FALSE, NULL, TRUE
    );
END//
DELIMITER ;
