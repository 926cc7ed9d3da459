-- lead_archive_key_holder: the active API user that holds a key, given the key's SHA-256, and
-- the VICIdial user the key is bound to (NULL: none); both NULL when no active API user holds
-- it. The gateway's procedures read a key's holder through this one statement.
-- Session: nothing left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_key_holder;

DELIMITER //
CREATE PROCEDURE lead_archive_key_holder (
    IN p_key_sha256 BINARY(32),
    OUT p_name VARCHAR(64),
    OUT p_vicidial_user VARCHAR(20)
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE CONTINUE HANDLER FOR NOT FOUND
    BEGIN
        SET p_name = NULL;
        SET p_vicidial_user = NULL;
    END;
    SET p_name = NULL;
    SET p_vicidial_user = NULL;
    SELECT
        name,
        vicidial_user
    INTO p_name, p_vicidial_user
    FROM lead_archive_api_users
    WHERE key_sha256 = p_key_sha256 AND revoked_at IS NULL;
END//
DELIMITER ;
