-- lead_archive_vicidial_user: may this vicidial_users row use this API function? Checked as
-- VICIdial's own non-agent API checks it for lead_dearchive, at every call (a change in
-- VICIdial's admin screens applies to the next request):
--   p_state 'invalid_api_key'    no such user (or no vicidial_users table), or active != 'Y'
--   p_state 'permission_denied'  not (user_level > 7, modify_leads = '1',
--                                vdc_agent_api_access = '1', and api_allowed_functions
--                                holding ' ALL_FUNCTIONS ' or ' <p_function> ')
--   p_state 'ok'                 allowed
-- p_name is the user as vicidial_users spells it, p_user_group its group, p_list_restrict
-- its api_list_restrict = '1' (the leads must lie in its group's campaigns:
-- lead_archive_vicidial_restrict). The function names are matched byte for byte, space
-- delimited, as VICIdial's preg_match does. One read by vicidial_users' unique key (in an
-- explicit collation, without the index, when vicidial_users has another than the database).
-- Session: nothing is left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_vicidial_user;

DELIMITER //
CREATE PROCEDURE lead_archive_vicidial_user (
    IN p_user VARCHAR(20),
    IN p_function VARCHAR(20),
    OUT p_state VARCHAR(20),
    OUT p_name VARCHAR(20),
    OUT p_user_group VARCHAR(20),
    OUT p_list_restrict BOOLEAN
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_found BOOLEAN DEFAULT TRUE;
    DECLARE v_mixed BOOLEAN DEFAULT FALSE;
    DECLARE v_active VARCHAR(8);
    DECLARE v_level INT;
    DECLARE v_modify_leads VARCHAR(8);
    DECLARE v_api_access VARCHAR(8);
    DECLARE v_functions VARCHAR(1000);
    DECLARE v_restrict VARCHAR(8);
    DECLARE v_allowed BOOLEAN DEFAULT FALSE;

    SET p_name = NULL;
    SET p_user_group = NULL;
    SET p_list_restrict = FALSE;
    BEGIN
        DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_found = FALSE;
        -- no vicidial_users table: no such user
        DECLARE CONTINUE HANDLER FOR 1146 SET v_found = FALSE;
        -- vicidial_users in another collation than this database's default (the parameters'):
        -- compared again below in an explicit one
        DECLARE CONTINUE HANDLER FOR 1267 SET v_mixed = TRUE;
        DECLARE CONTINUE HANDLER FOR 1270 SET v_mixed = TRUE;
        DECLARE CONTINUE HANDLER FOR 1271 SET v_mixed = TRUE;
        SELECT
            `user`,
            user_group,
            active,
            user_level,
            modify_leads,
            vdc_agent_api_access,
            api_allowed_functions,
            api_list_restrict
        INTO
        p_name, p_user_group, v_active, v_level,
        v_modify_leads, v_api_access, v_functions, v_restrict
        FROM vicidial_users
        WHERE `user` = p_user;
    END;
    IF v_mixed THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_found = FALSE;
            SELECT
                `user`,
                user_group,
                active,
                user_level,
                modify_leads,
                vdc_agent_api_access,
                api_allowed_functions,
                api_list_restrict
            INTO
            p_name, p_user_group, v_active, v_level,
            v_modify_leads, v_api_access, v_functions, v_restrict
            FROM vicidial_users
            WHERE `user` = CONVERT(p_user USING utf8mb4) COLLATE utf8mb4_unicode_ci;
        END;
    END IF;
    SET v_allowed = COALESCE(
        v_level > 7
        AND v_modify_leads = '1'
        AND v_api_access = '1'
        AND (
            LOCATE(' ALL_FUNCTIONS ', CAST(v_functions AS BINARY)) > 0
            OR LOCATE(
                CAST(CONCAT(' ', p_function, ' ') AS BINARY), CAST(v_functions AS BINARY)
            ) > 0
        ),
        FALSE
    );
    IF p_user IS NULL OR NOT v_found OR NOT COALESCE(v_active = 'Y', FALSE) THEN
        SET p_state = 'invalid_api_key';
        SET p_name = NULL;
        SET p_user_group = NULL;
        SET p_list_restrict = FALSE;
    ELSEIF NOT v_allowed OR p_function IS NULL THEN
        SET p_state = 'permission_denied';
        SET p_list_restrict = COALESCE(v_restrict = '1', FALSE);
    ELSE
        SET p_state = 'ok';
        SET p_list_restrict = COALESCE(v_restrict = '1', FALSE);
    END IF;
END//
DELIMITER ;
