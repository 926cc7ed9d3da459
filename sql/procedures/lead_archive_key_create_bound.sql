-- lead_archive_key_create_bound: store a new API user (or give a revoked one a new key), bound
-- to the VICIdial user p_vicidial_user (NULL: no binding). Only the SHA-256 of the key reaches
-- the database. An active user keeps its key: revoke first. A binding names an existing
-- vicidial_users row; the user is stored as vicidial_users spells it.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_key_create_bound;

DELIMITER //
CREATE PROCEDURE lead_archive_key_create_bound (
    IN p_name VARCHAR(64),
    IN p_key_sha256 BINARY(32),
    IN p_vicidial_user VARCHAR(20)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_user VARCHAR(20);
    DECLARE v_table BOOLEAN DEFAULT TRUE;
    DECLARE v_mixed BOOLEAN DEFAULT FALSE;

    IF p_vicidial_user IS NOT NULL THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_user = NULL;
            DECLARE CONTINUE HANDLER FOR 1146 SET v_table = FALSE;
            -- vicidial_users in another collation than this database's default
            DECLARE CONTINUE HANDLER FOR 1267 SET v_mixed = TRUE;
            DECLARE CONTINUE HANDLER FOR 1270 SET v_mixed = TRUE;
            DECLARE CONTINUE HANDLER FOR 1271 SET v_mixed = TRUE;
            SELECT `user` INTO v_user FROM vicidial_users
            WHERE `user` = p_vicidial_user;
        END;
        IF v_mixed THEN
            BEGIN
                DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_user = NULL;
                SELECT `user` INTO v_user FROM vicidial_users
                WHERE `user` = CONVERT(p_vicidial_user USING utf8mb4) COLLATE utf8mb4_unicode_ci;
            END;
        END IF;
        IF NOT v_table THEN
            SIGNAL SQLSTATE '45000'
                SET
                MESSAGE_TEXT = 'vicidial_user_not_found: this database has no vicidial_users table';
        END IF;
        IF v_user IS NULL THEN
            SIGNAL SQLSTATE '45000'
                SET
                MESSAGE_TEXT = 'vicidial_user_not_found: no vicidial_users row has this user';
        END IF;
    END IF;
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
    INSERT INTO lead_archive_api_users (name, key_sha256, vicidial_user)
    VALUES (p_name, p_key_sha256, v_user);
END//
DELIMITER ;
