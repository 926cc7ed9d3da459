-- lead_archive_key_list: the API users and the VICIdial user each key is bound to (NULL: none),
-- never their keys.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_key_list;

DELIMITER //
CREATE PROCEDURE lead_archive_key_list ()
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    SELECT
        name,
        created_at,
        revoked_at,
        last_used_at,
        vicidial_user
    FROM lead_archive_api_users
    ORDER BY name;
END//
DELIMITER ;
