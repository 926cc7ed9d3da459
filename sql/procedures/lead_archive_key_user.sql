-- lead_archive_key_user: who a key acts as, for the gateway's procedures: the active API user
-- that holds it (lead_archive_key_holder) and, for a key bound to a VICIdial user, that user
-- as VICIdial's API sees it for p_function (lead_archive_vicidial_user: p_state 'ok' or
-- 'permission_denied', the user's name, group and list restriction).
-- Refuses with 'invalid_api_key: …' when no active API user holds the key, or its VICIdial
-- user is missing or inactive; permission_denied is the caller's to refuse (it logs first).
-- Session: nothing left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_key_user;

DELIMITER //
CREATE PROCEDURE lead_archive_key_user (
    IN p_key_sha256 BINARY(32),
    IN p_function VARCHAR(20),
    OUT p_actor VARCHAR(64),
    OUT p_state VARCHAR(20),
    OUT p_vicidial_user VARCHAR(20),
    OUT p_user_group VARCHAR(20),
    OUT p_list_restrict BOOLEAN
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_bound VARCHAR(20);

    SET p_state = 'ok';
    SET p_vicidial_user = NULL;
    SET p_user_group = NULL;
    SET p_list_restrict = FALSE;
    CALL lead_archive_key_holder(p_key_sha256, p_actor, v_bound);
    IF p_actor IS NULL THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'invalid_api_key: no active API user holds this key';
    END IF;
    IF v_bound IS NOT NULL THEN
        CALL lead_archive_vicidial_user(
            v_bound, p_function, p_state, p_vicidial_user, p_user_group, p_list_restrict
        );
        IF p_state = 'invalid_api_key' THEN
            SIGNAL SQLSTATE '45000'
                SET
                MESSAGE_TEXT = 'invalid_api_key: the VICIdial user of this key is not active';
        END IF;
    END IF;
END//
DELIMITER ;
