-- lead_archive_key_revoke: the key of this API user is refused from the next request on.
-- Returns the number of keys revoked (0 or 1).
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_key_revoke;

DELIMITER //
CREATE PROCEDURE lead_archive_key_revoke (
    IN p_name VARCHAR(64)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    UPDATE lead_archive_api_users
    SET revoked_at = NOW()
    WHERE name = p_name AND revoked_at IS NULL;
    SELECT ROW_COUNT() AS revoked;
END//
DELIMITER ;
