-- lead_archive_vicidial_restrict: the list restriction of a VICIdial user with
-- api_list_restrict = '1', before a move writes anything. Every lead must lie in a list
-- (vicidial_lists.list_id -> campaign_id) of a campaign of the user group's
-- vicidial_user_groups.allowed_campaigns (space delimited, ending ' -'; one holding
-- 'ALL-CAMPAIGNS', as '-ALL-CAMPAIGNS-', allows every lead), as VICIdial's own API checks it.
-- The list of a lead is its list_id in the source table of the direction. A lead in no list
-- of vicidial_lists, a group without a row, or missing vicidial_lists / vicidial_user_groups
-- tables allow nothing.
--
-- Refuses with 'lead_access_denied: …', after one result set of the leads outside (lead_id, in
-- request order), only where the move would pass its own checks up to leads_not_found: when an
-- id is not in the source or the archive does not match (lead_archive_guard), this returns
-- and the move answers that first. Invalid id lists are refused as the move refuses them
-- (lead_archive_parse_ids).
-- Session: the working tables it made (lead_archive_request, and the guard's) are dropped;
-- sql_safe_updates off and sql_big_selects on during the call, then restored; the user
-- variable @lead_archive_sql restored and the prepared statement lead_archive_stmt deallocated.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_vicidial_restrict;

DELIMITER //
CREATE PROCEDURE lead_archive_vicidial_restrict (
    IN p_direction VARCHAR(16),
    IN p_lead_ids LONGTEXT,
    IN p_user_group VARCHAR(20)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE c_max_leads INT DEFAULT 500;  -- the id list's limit, as lead_archive_move_core
    DECLARE v_parsed BOOLEAN DEFAULT FALSE;
    DECLARE v_guarded BOOLEAN DEFAULT FALSE;
    -- Unicode, explicitly: compared with VICIdial's campaign ids whatever their collation
    DECLARE v_allowed TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT '';
    DECLARE v_missing INT DEFAULT 0;
    DECLARE v_no_table BOOLEAN DEFAULT FALSE;
    DECLARE v_denied INT DEFAULT 0;
    DECLARE v_problems INT DEFAULT 0;
    DECLARE v_message TEXT;
    DECLARE v_ids LONGTEXT;
    DECLARE v_count INT;
    DECLARE v_fast TEXT;
    DECLARE v_saved_sql LONGTEXT;
    DECLARE v_sql_safe_updates BIGINT DEFAULT @@SESSION.sql_safe_updates;
    DECLARE v_sql_big_selects BIGINT DEFAULT @@SESSION.sql_big_selects;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        SET SESSION sql_safe_updates = v_sql_safe_updates;
        SET SESSION sql_big_selects = v_sql_big_selects;
        IF v_guarded THEN
            DROP TEMPORARY TABLE IF EXISTS lead_archive_source_columns;
            DROP TEMPORARY TABLE IF EXISTS lead_archive_target_columns;
            DROP TEMPORARY TABLE IF EXISTS lead_archive_problems;
        END IF;
        IF v_parsed THEN
            DROP TEMPORARY TABLE IF EXISTS lead_archive_request;
        END IF;
        RESIGNAL;
    END;

    -- 1. the campaigns of the user's group: all of them, and there is nothing to check
    BEGIN
        DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_allowed = '';
        DECLARE CONTINUE HANDLER FOR 1146 SET v_allowed = '';
        SELECT COALESCE(allowed_campaigns, '') INTO v_allowed
        FROM vicidial_user_groups
        WHERE user_group = CONVERT(p_user_group USING utf8mb4) COLLATE utf8mb4_unicode_ci;
    END;
    work: BEGIN
        IF v_allowed LIKE '%ALL-CAMPAIGNS%' THEN
            LEAVE work;
        END IF;
        SET v_allowed = CONCAT(' ', REPLACE(v_allowed, '\n', ' '), ' ');
        SET SESSION sql_safe_updates = 0;
        SET SESSION sql_big_selects = 1;

        -- 2. the usual case, cheaply: a plain list of at most c_max_leads ids, each in the source
        -- once and in an allowed list, is counted by one statement over the ids as written
        -- (validated: digits, commas and spaces only). Anything else (a refusal to come, an
        -- odd list, a missing table) takes the full check below, which answers it.
        SET v_ids = TRIM(p_lead_ids);
        IF
            JSON_VALID(v_ids)
            AND LEFT(v_ids, 1) = '['
            AND RIGHT(v_ids, 1) = ']'
            AND CHAR_LENGTH(v_ids) > 2
        THEN
            SET v_ids = SUBSTRING(v_ids, 2, CHAR_LENGTH(v_ids) - 2);
            IF v_ids REGEXP '^[[:digit:][:space:],]+$' THEN
                SET v_count = CHAR_LENGTH(v_ids) - CHAR_LENGTH(REPLACE(v_ids, ',', '')) + 1;
                IF v_count <= c_max_leads THEN
                    SET v_saved_sql = @lead_archive_sql;
                    SET @lead_archive_sql = CONCAT(
                        'SELECT CONCAT(COUNT(*), '','', COALESCE(SUM(NOT EXISTS (',
                        'SELECT 1 FROM vicidial_lists AS l WHERE l.list_id = s.list_id ',
                        'AND LOCATE(CONCAT('' '', l.campaign_id, '' ''), ', QUOTE(v_allowed),
                        ') > 0)), 0)) INTO @lead_archive_sql FROM `',
                        IF(p_direction = 'archive', 'vicidial_list', 'vicidial_list_archive'),
                        '` AS s WHERE s.lead_id IN (', v_ids, ')'
                    );
                    fast: BEGIN
                        DECLARE EXIT HANDLER FOR SQLEXCEPTION SET v_fast = NULL;
                        PREPARE lead_archive_stmt FROM @lead_archive_sql;
                        EXECUTE lead_archive_stmt;
                        SET v_fast = @lead_archive_sql;
                    END fast;
                    BEGIN
                        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
                        DEALLOCATE PREPARE lead_archive_stmt;
                    END;
                    SET @lead_archive_sql = v_saved_sql;
                    IF v_fast = CONCAT(v_count, ',0') THEN
                        LEAVE work;
                    END IF;
                END IF;
            END IF;
        END IF;

        -- 3. the full check, on the parsed list (lead_archive_parse_ids refuses what the move
        -- would refuse)
        CALL lead_archive_parse_ids(p_lead_ids, c_max_leads);
        SET v_parsed = TRUE;

        -- one pass: the ids missing from the source (the move answers leads_not_found for
        -- those), and the leads in no list of an allowed campaign
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1146 SET v_no_table = TRUE;
            IF p_direction = 'archive' THEN
                SELECT
                    COUNT(*) - COUNT(s.lead_id) AS missing,
                    COALESCE(SUM(
                        s.lead_id IS NOT NULL
                        AND NOT EXISTS (
                            SELECT 1 FROM vicidial_lists AS l
                            WHERE
                                l.list_id = s.list_id
                                AND LOCATE(CONCAT(' ', l.campaign_id, ' '), v_allowed) > 0
                        )
                    ), 0) AS denied
                INTO v_missing, v_denied
                FROM lead_archive_request AS r
                LEFT JOIN vicidial_list AS s ON r.lead_id = s.lead_id;
            ELSE
                SELECT
                    COUNT(*) - COUNT(s.lead_id) AS missing,
                    COALESCE(SUM(
                        s.lead_id IS NOT NULL
                        AND NOT EXISTS (
                            SELECT 1 FROM vicidial_lists AS l
                            WHERE
                                l.list_id = s.list_id
                                AND LOCATE(CONCAT(' ', l.campaign_id, ' '), v_allowed) > 0
                        )
                    ), 0) AS denied
                INTO v_missing, v_denied
                FROM lead_archive_request AS r
                LEFT JOIN vicidial_list_archive AS s ON r.lead_id = s.lead_id;
            END IF;
        END;
        IF v_no_table THEN
            -- no source table (the move answers schema_mismatch), or no vicidial_lists: then no
            -- lead lies in an allowed list
            BEGIN
                DECLARE CONTINUE HANDLER FOR 1146 SET v_missing = -1;
                IF p_direction = 'archive' THEN
                    SELECT COUNT(*) - COUNT(s.lead_id) INTO v_missing
                    FROM lead_archive_request AS r
                    LEFT JOIN vicidial_list AS s ON r.lead_id = s.lead_id;
                ELSE
                    SELECT COUNT(*) - COUNT(s.lead_id) INTO v_missing
                    FROM lead_archive_request AS r
                    LEFT JOIN vicidial_list_archive AS s ON r.lead_id = s.lead_id;
                END IF;
            END;
            SET v_denied = (SELECT COUNT(*) FROM lead_archive_request);
        END IF;

        -- 4. a schema mismatch is answered first, by the move
        IF v_missing = 0 AND v_denied > 0 THEN
            SET v_guarded = TRUE;
            IF p_direction = 'archive' THEN
                CALL lead_archive_guard('vicidial_list', 'vicidial_list_archive');
            ELSE
                CALL lead_archive_guard('vicidial_list_archive', 'vicidial_list');
            END IF;
            SELECT COUNT(*) INTO v_problems FROM lead_archive_problems;
            DROP TEMPORARY TABLE IF EXISTS lead_archive_source_columns;
            DROP TEMPORARY TABLE IF EXISTS lead_archive_target_columns;
            DROP TEMPORARY TABLE IF EXISTS lead_archive_problems;
            SET v_guarded = FALSE;
        END IF;

        IF v_missing = 0 AND v_denied > 0 AND v_problems = 0 THEN
            IF v_no_table THEN
                UPDATE lead_archive_request SET reason = 'denied';
            ELSEIF p_direction = 'archive' THEN
                UPDATE lead_archive_request AS r
                SET r.reason = 'denied'
                WHERE
                    NOT EXISTS (
                        SELECT 1 FROM vicidial_list AS s
                        INNER JOIN vicidial_lists AS l ON s.list_id = l.list_id
                        WHERE
                            s.lead_id = r.lead_id
                            AND LOCATE(CONCAT(' ', l.campaign_id, ' '), v_allowed) > 0
                    );
            ELSE
                UPDATE lead_archive_request AS r
                SET r.reason = 'denied'
                WHERE
                    NOT EXISTS (
                        SELECT 1 FROM vicidial_list_archive AS s
                        INNER JOIN vicidial_lists AS l ON s.list_id = l.list_id
                        WHERE
                            s.lead_id = r.lead_id
                            AND LOCATE(CONCAT(' ', l.campaign_id, ' '), v_allowed) > 0
                    );
            END IF;
            SELECT lead_id FROM lead_archive_request
            WHERE reason = 'denied'
            ORDER BY pos;
            SELECT LEFT(GROUP_CONCAT(d.lead_id ORDER BY d.pos SEPARATOR ','), 300) INTO v_message
            FROM (
                SELECT
                    lead_id,
                    pos
                FROM lead_archive_request
                WHERE reason = 'denied'
                ORDER BY pos
                LIMIT 40
            ) AS d;
            SET v_message = CONCAT(
                'lead_access_denied: ', v_denied, ' leads outside the api user''s campaigns: ',
                v_message
            );
            -- MySQL refuses a MESSAGE_TEXT over 128 characters; the result set has every id
            SET v_message = IF(
                CHAR_LENGTH(v_message) > 128, CONCAT(LEFT(v_message, 125), '...'), v_message
            );
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    END work;

    IF v_parsed THEN
        DROP TEMPORARY TABLE IF EXISTS lead_archive_request;
        SET v_parsed = FALSE;
    END IF;
    SET SESSION sql_safe_updates = v_sql_safe_updates;
    SET SESSION sql_big_selects = v_sql_big_selects;
END//
DELIMITER ;
