-- lead_archive_key_create: store a new API user (or give a revoked one a new key).
-- Only the SHA-256 of the key reaches the database. An active user keeps its key: revoke first.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_key_create;

DELIMITER //
CREATE PROCEDURE lead_archive_key_create (
    IN p_name VARCHAR(64),
    IN p_key_sha256 BINARY(32)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    IF EXISTS (
        SELECT 1 FROM lead_archive_api_users
        WHERE name = p_name AND revoked_at IS NULL
    ) THEN
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'user_exists: this API user has an active key; revoke it first';
    END IF;
    DELETE FROM lead_archive_api_users
    WHERE name = p_name;
    INSERT INTO lead_archive_api_users (name, key_sha256) VALUES (p_name, p_key_sha256);
END//
DELIMITER ;
