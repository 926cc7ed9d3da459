-- lead_archive_gateway_lookup: the phone look-up the HTTP gateway's database account may call
-- (POST /vicidial/leads/archive/lookup); lead_archive_lookup stays the DBA's, unrestricted.
--   CALL lead_archive_gateway_lookup(key_sha256, 'req-1', '(555) 010-2030', 51, TRUE);
--
-- As lead_archive_gateway_move, it takes the SHA-256 of the key the gateway was shown and
-- checks it here, whatever the gateway checked before (its account could call this procedure
-- alone): 'invalid_api_key: …' when no active API user holds the key or its VICIdial user is
-- missing or inactive; 'permission_denied: …' when that user may not use lead_archive (the
-- function the look-up is authenticated for: lead_archive_vicidial_user).
--
-- A VICIdial user with api_list_restrict = '1' sees only the archived leads of the lists of
-- its user group's allowed campaigns, read as lead_archive_vicidial_restrict reads them
-- (vicidial_user_groups.allowed_campaigns, 'ALL-CAMPAIGNS' allows every list; no group row,
-- no vicidial_lists or vicidial_user_groups table: no list). The other leads are left out
-- silently, before the limit, rather than refused with lead_access_denied as a move is: a
-- move names the leads it was given, while a search names none, and a refusal (or a `more`
-- counting hidden leads) would tell the caller that a lead it may not see has this number.
--
-- Returns what lead_archive_lookup returns (lead_id, list_id, status, modify_date; at most
-- p_limit rows, newest lead first) for the leads the key may see; 'invalid_phone_number: …'
-- as lead_archive_lookup refuses it.
--
-- VICIdial's api log, with p_vicidial_log (LEAD_ARCHIVE_VICIDIAL_LOG) and where the table
-- exists, as the move writes it (lead_archive_vicidial_api_log): one row per call, user the
-- VICIdial user else the API user, function 'lead_archive' (the function the look-up's
-- permission is checked for; every row of the gateway's names lead_archive or
-- lead_dearchive), 'SUCCESS' / 'ok' with value the ids answered ('[9,4]') and data
-- 'request_id=…|lookup_count=N', or 'ERROR' with the refusal's code from the user check on.
-- The phone number itself is not written.
-- Session: group_concat_max_len at least 65536 during the call, then restored.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_gateway_lookup;

DELIMITER //
CREATE PROCEDURE lead_archive_gateway_lookup (
    IN p_key_sha256 BINARY(32),
    IN p_request_id VARCHAR(64),
    IN p_phone VARCHAR(64),
    IN p_limit INT,
    IN p_vicidial_log BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_started DATETIME(6) DEFAULT SYSDATE(6);
    DECLARE v_digits VARCHAR(64) CHARACTER SET ascii
    DEFAULT REGEXP_REPLACE(COALESCE(p_phone, ''), '[^0-9]', '');
    DECLARE v_actor VARCHAR(64);
    DECLARE v_state VARCHAR(20) DEFAULT 'ok';
    DECLARE v_vicidial_user VARCHAR(20);
    DECLARE v_user_group VARCHAR(20);
    DECLARE v_restrict BOOLEAN DEFAULT FALSE;
    -- Unicode, explicitly: compared with VICIdial's campaign ids whatever their collation
    DECLARE v_allowed TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT '';
    DECLARE v_ids TEXT CHARACTER SET ascii;
    DECLARE v_count INT DEFAULT 0;
    DECLARE v_log_user VARCHAR(64);
    DECLARE v_logging BOOLEAN DEFAULT FALSE;
    DECLARE v_errno INT;
    DECLARE v_text TEXT;
    DECLARE v_last_errno INT;
    DECLARE v_last_text TEXT;
    DECLARE v_status VARCHAR(32);
    DECLARE v_group_concat_max_len BIGINT UNSIGNED DEFAULT @@SESSION.group_concat_max_len;

    -- A refusal from the user check on is logged in VICIdial's api log, then passed on as it
    -- came. The error is read as lead_archive_gateway_move reads it: the first condition on
    -- MariaDB, the last on MySQL.
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        GET DIAGNOSTICS CONDITION 1 v_errno = MYSQL_ERRNO, v_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 1 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 2 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 3 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 4 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 5 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 6 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 7 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 8 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        IF v_errno != 1644 AND (v_last_errno = 1644 OR VERSION() NOT LIKE '%MariaDB%') THEN
            SET v_errno = v_last_errno;
            SET v_text = v_last_text;
        END IF;
        SET SESSION group_concat_max_len = v_group_concat_max_len;
        IF v_logging AND v_errno NOT IN (1205, 1213) THEN
            CALL lead_archive_vicidial_api_log(
                v_log_user,
                'lead_archive',
                'ERROR',
                CASE
                    WHEN v_errno = 1644 THEN SUBSTRING_INDEX(v_text, ':', 1)
                    WHEN v_errno IN (126, 127, 134, 144, 145, 1194, 1195)
                        THEN 'database_unavailable'
                    ELSE 'internal_error'
                END,
                '',
                CONCAT('request_id=', COALESCE(p_request_id, '')),
                ROUND(TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6)) / 1000000, 6),
                v_status
            );
        END IF;
        RESIGNAL;
    END;

    -- 1. the key, and its VICIdial user
    CALL lead_archive_key_user(
        p_key_sha256, 'lead_archive', v_actor, v_state, v_vicidial_user, v_user_group, v_restrict
    );
    SET v_log_user = COALESCE(v_vicidial_user, v_actor);
    SET v_logging = COALESCE(p_vicidial_log, FALSE);
    IF v_state = 'permission_denied' THEN
        SET v_text = 'permission_denied: api user does not have permission to use this function';
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_text;
    END IF;
    IF v_digits = '' OR CHAR_LENGTH(v_digits) > 18 THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'invalid_phone_number: phone_number must hold 1 to 18 digits';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'internal_error: the limit must be 1 to 1000';
    END IF;

    -- 2. the campaigns of a restricted user's group: all of them, and there is no restriction
    IF v_restrict THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_allowed = '';
            DECLARE CONTINUE HANDLER FOR 1146 SET v_allowed = '';
            SELECT COALESCE(allowed_campaigns, '') INTO v_allowed
            FROM vicidial_user_groups
            WHERE user_group = CONVERT(v_user_group USING utf8mb4) COLLATE utf8mb4_unicode_ci;
        END;
        IF v_allowed LIKE '%ALL-CAMPAIGNS%' THEN
            SET v_restrict = FALSE;
        END IF;
        SET v_allowed = CONCAT(' ', REPLACE(v_allowed, '\n', ' '), ' ');
    END IF;

    -- 3. the ids of the leads it may see, newest first, read once through the phone_number
    -- index: the answer is those leads, and the log names them
    IF v_group_concat_max_len < 65536 THEN
        SET SESSION group_concat_max_len = 65536;
    END IF;
    IF NOT v_restrict THEN
        SELECT
            COUNT(*) AS found,
            GROUP_CONCAT(f.lead_id ORDER BY f.lead_id DESC SEPARATOR ',') AS ids
        INTO v_count, v_ids
        FROM (
            SELECT a.lead_id FROM vicidial_list_archive AS a
            WHERE a.phone_number = v_digits
            ORDER BY a.lead_id DESC
            LIMIT p_limit
        ) AS f;
    ELSE
        BEGIN
            -- no vicidial_lists: no lead lies in an allowed list (a missing archive is
            -- answered by the read below)
            DECLARE CONTINUE HANDLER FOR 1146 SET v_count = 0;
            SELECT
                COUNT(*) AS found,
                GROUP_CONCAT(f.lead_id ORDER BY f.lead_id DESC SEPARATOR ',') AS ids
            INTO v_count, v_ids
            FROM (
                SELECT a.lead_id FROM vicidial_list_archive AS a
                WHERE
                    a.phone_number = v_digits
                    AND EXISTS (
                        SELECT 1 FROM vicidial_lists AS l
                        WHERE
                            l.list_id = a.list_id
                            AND LOCATE(CONCAT(' ', l.campaign_id, ' '), v_allowed) > 0
                    )
                ORDER BY a.lead_id DESC
                LIMIT p_limit
            ) AS f;
        END;
    END IF;
    SET SESSION group_concat_max_len = v_group_concat_max_len;

    SELECT
        lead_id,
        list_id,
        `status`,
        modify_date
    FROM vicidial_list_archive
    WHERE phone_number = v_digits AND FIND_IN_SET(lead_id, COALESCE(v_ids, '')) > 0
    ORDER BY lead_id DESC;

    SET v_logging = FALSE;
    IF COALESCE(p_vicidial_log, FALSE) THEN
        CALL lead_archive_vicidial_api_log(
            v_log_user,
            'lead_archive',
            'SUCCESS',
            'ok',
            CONCAT('[', COALESCE(v_ids, ''), ']'),
            CONCAT('request_id=', COALESCE(p_request_id, ''), '|lookup_count=', v_count),
            ROUND(TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6)) / 1000000, 6),
            v_status
        );
    END IF;
END//
DELIMITER ;
