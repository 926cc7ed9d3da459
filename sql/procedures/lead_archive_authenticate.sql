-- lead_archive_authenticate: the API user holding a key, by the SHA-256 of the key.
-- Returns (name, key_sha256) of an active user, or no row; notes when the key was last used.
-- The gateway compares the returned hash again in constant time.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_authenticate;

DELIMITER //
CREATE PROCEDURE lead_archive_authenticate (
    IN p_key_sha256 BINARY(32)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    -- at most once a minute: a write (and its log flush) on every request would cost more
    -- than the lookup
    UPDATE lead_archive_api_users
    SET last_used_at = NOW()
    WHERE
        key_sha256 = p_key_sha256
        AND revoked_at IS NULL
        AND (last_used_at IS NULL OR last_used_at < NOW() - INTERVAL 1 MINUTE);

    SELECT
        name,
        key_sha256
    FROM lead_archive_api_users
    WHERE key_sha256 = p_key_sha256 AND revoked_at IS NULL;
END//
DELIMITER ;
