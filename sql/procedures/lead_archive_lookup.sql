-- lead_archive_lookup: which archived leads have this phone number? For loaders that scrub
-- duplicates against the archive and inbound flows that recognise a caller.
--   CALL lead_archive_lookup('(555) 010-2030', 50);
-- The number keeps its digits only, as VICIdial stores phone_number, and is read through the
-- archive's phone_number index. Returns at most p_limit rows (the gateway asks for one more
-- than it shows, to tell that there are more), newest lead first, and only what such a
-- caller needs to decide:
--   lead_id      to restore it (POST /vicidial/leads/dearchive) or to link it
--   list_id      VICIdial's duplicate checks work per list, per campaign or system-wide
--   status       a DNC or SALE status changes what a loader does
--   modify_date  how recent it is
-- No name, address, comment or other column leaves the database. Reads only; no session state.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_lookup;

DELIMITER //
CREATE PROCEDURE lead_archive_lookup (
    IN p_phone VARCHAR(64),
    IN p_limit INT
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_digits VARCHAR(64) CHARACTER SET ascii
    DEFAULT REGEXP_REPLACE(COALESCE(p_phone, ''), '[^0-9]', '');

    IF v_digits = '' OR CHAR_LENGTH(v_digits) > 18 THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'invalid_phone_number: phone_number must hold 1 to 18 digits';
    END IF;
    SELECT
        lead_id,
        list_id,
        `status`,
        modify_date
    FROM vicidial_list_archive
    WHERE phone_number = v_digits
    ORDER BY lead_id DESC
    LIMIT p_limit;
END//
DELIMITER ;
