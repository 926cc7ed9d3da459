-- API users of the HTTP gateway. Only the SHA-256 of a key is stored, never the key.
-- vicidial_user: the vicidial_users row the key acts as (lead-archive keys create NAME
-- --vicidial-user USER), NULL for a key without one. Every request of a bound key checks that
-- user as VICIdial's own API does (lead_archive_vicidial_user).
CREATE TABLE IF NOT EXISTS lead_archive_api_users (
    user_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name VARCHAR(64) NOT NULL,
    key_sha256 BINARY(32) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at DATETIME NULL,
    last_used_at DATETIME NULL,
    vicidial_user VARCHAR(20) NULL,
    PRIMARY KEY (user_id),
    UNIQUE KEY name (name),
    UNIQUE KEY key_sha256 (key_sha256)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Upgrade of a table made before vicidial_user existed (MariaDB and MySQL alike: MySQL has no
-- ADD COLUMN IF NOT EXISTS).
DROP PROCEDURE IF EXISTS lead_archive_upgrade_api_users;

DELIMITER //
CREATE PROCEDURE lead_archive_upgrade_api_users ()
MODIFIES SQL DATA
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.COLUMNS
        WHERE
            TABLE_SCHEMA = DATABASE()
            AND TABLE_NAME = 'lead_archive_api_users'
            AND COLUMN_NAME = 'vicidial_user'
    ) THEN
        ALTER TABLE lead_archive_api_users
        ADD COLUMN vicidial_user VARCHAR(20) NULL AFTER last_used_at;
    END IF;
END//
DELIMITER ;

CALL lead_archive_upgrade_api_users();
DROP PROCEDURE lead_archive_upgrade_api_users;
