-- lead_archive_key_create: store a new API user (or give a revoked one a new key), not bound
-- to a VICIdial user (lead_archive_key_create_bound). Only the SHA-256 of the key reaches the
-- database. An active user keeps its key: revoke first.
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
    CALL lead_archive_key_create_bound(p_name, p_key_sha256, NULL);
END//
DELIMITER ;
