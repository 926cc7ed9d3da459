-- API users of the HTTP gateway. Only the SHA-256 of a key is stored, never the key.
CREATE TABLE IF NOT EXISTS lead_archive_api_users (
    user_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name VARCHAR(64) NOT NULL,
    key_sha256 BINARY(32) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at DATETIME NULL,
    last_used_at DATETIME NULL,
    PRIMARY KEY (user_id),
    UNIQUE KEY name (name),
    UNIQUE KEY key_sha256 (key_sha256)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
