-- lead_archive_gateway_move: the one move the HTTP gateway's database account may call.
--
-- The gateway passes the SHA-256 of the API key it was shown, never a user name: the key is
-- looked up here and the audit's actor is the API user who holds it, so whoever holds the
-- gateway's database credentials cannot write an audit row in another user's name (the
-- account has EXECUTE on this procedure and not on lead_archive_move). The audit row also
-- names the database account (db_account, SESSION_USER()) and the HTTP client's address.
--
-- A key bound to a VICIdial user (lead_archive_api_users.vicidial_user) is checked here too,
-- whatever the gateway checked before (its account could call this procedure alone):
-- lead_archive_vicidial_user, then for api_list_restrict = '1' lead_archive_vicidial_restrict
-- (lead_access_denied, after the move's own checks up to leads_not_found, before any write).
--
-- Refused with 'invalid_api_key: …' when no active API user holds the key (say a key revoked
-- between the gateway's check and this call) or its VICIdial user is missing or inactive, and
-- 'permission_denied: …' when that user may not use the route's function; otherwise it returns
-- exactly what lead_archive_move_measured returns (result sets and errors), which it calls
-- unchanged.
--
-- VICIdial's logs, with p_vicidial_log (LEAD_ARCHIVE_VICIDIAL_LOG) and where the tables exist:
-- after a move, lead_archive_vicidial_log (the admin log row when a lead changed, the api log
-- row 'SUCCESS', the note in the audit row); a refusal from the VICIdial user check on, one
-- api log row 'ERROR' with the refusal's code (lead_archive_vicidial_api_log). Deadlocks and
-- lock wait timeouts are not logged: the gateway calls again. The user of both logs is the
-- VICIdial user, else the API user.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_gateway_move;

DELIMITER //
CREATE PROCEDURE lead_archive_gateway_move (
    IN p_direction VARCHAR(16),
    IN p_key_sha256 BINARY(32),
    IN p_request_id VARCHAR(64),
    IN p_client VARCHAR(64),
    IN p_lead_ids LONGTEXT,
    IN p_insert BOOLEAN,
    IN p_update BOOLEAN,
    IN p_delete BOOLEAN,
    IN p_vicidial_log BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_started DATETIME(6) DEFAULT SYSDATE(6);
    DECLARE v_actor VARCHAR(64);
    DECLARE v_function VARCHAR(20);
    DECLARE v_state VARCHAR(20) DEFAULT 'ok';
    DECLARE v_vicidial_user VARCHAR(20);
    DECLARE v_user_group VARCHAR(20);
    DECLARE v_restrict BOOLEAN DEFAULT FALSE;
    DECLARE v_log_user VARCHAR(64);
    DECLARE v_logging BOOLEAN DEFAULT FALSE;
    DECLARE v_last_audit BIGINT UNSIGNED;
    DECLARE v_errno INT;
    DECLARE v_text TEXT;
    DECLARE v_last_errno INT;
    DECLARE v_last_text TEXT;
    DECLARE v_status VARCHAR(32);

    -- A refusal from the user check on is logged in VICIdial's api log, then passed on as it
    -- came (the result sets sent before it have reached the client already).
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        -- The error that stopped the call: the first condition on MariaDB; on MySQL the last,
        -- after the warnings the call raised (7 at most seen). Read here by overwriting: a
        -- condition number past the last leaves the variables as they were. MySQL empties the
        -- list at the first statement that is not GET DIAGNOSTICS, and sqlfluff cannot parse
        -- GET DIAGNOSTICS … = NUMBER, hence the 16 reads.
        GET DIAGNOSTICS CONDITION 1 v_errno = MYSQL_ERRNO, v_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 1 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 2 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 3 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 4 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 5 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 6 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 7 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 8 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 9 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 10 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 11 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 12 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 13 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 14 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 15 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        GET DIAGNOSTICS CONDITION 16 v_last_errno = MYSQL_ERRNO, v_last_text = MESSAGE_TEXT;
        IF v_errno != 1644 AND (v_last_errno = 1644 OR VERSION() NOT LIKE '%MariaDB%') THEN
            SET v_errno = v_last_errno;
            SET v_text = v_last_text;
        END IF;
        IF v_logging AND v_errno NOT IN (1205, 1213) THEN
            CALL lead_archive_vicidial_api_log(
                v_log_user,
                v_function,
                'ERROR',
                CASE
                    WHEN v_errno = 1644 THEN SUBSTRING_INDEX(v_text, ':', 1)
                    WHEN v_errno IN (126, 127, 134, 144, 145, 1194, 1195)
                        THEN 'database_unavailable'
                    ELSE 'internal_error'
                END,
                p_lead_ids,
                CONCAT('request_id=', p_request_id),
                ROUND(TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6)) / 1000000, 6),
                v_status
            );
        END IF;
        RESIGNAL;
    END;

    IF p_direction = 'archive' THEN
        SET v_function = 'lead_archive';
    ELSEIF p_direction = 'dearchive' THEN
        SET v_function = 'lead_dearchive';
    ELSE
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'internal_error: direction must be archive or dearchive';
    END IF;

    IF COALESCE(p_request_id, '') = '' THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'internal_error: the gateway passes a request id';
    END IF;
    CALL lead_archive_key_user(
        p_key_sha256, v_function, v_actor, v_state, v_vicidial_user, v_user_group, v_restrict
    );
    SET v_log_user = COALESCE(v_vicidial_user, v_actor);
    SET v_logging = COALESCE(p_vicidial_log, FALSE);
    IF v_state = 'permission_denied' THEN
        SET v_text = 'permission_denied: api user does not have permission to use this function';
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_text;
    END IF;
    IF v_restrict THEN
        CALL lead_archive_vicidial_restrict(p_direction, p_lead_ids, v_user_group);
    END IF;

    SET v_last_audit = (SELECT COALESCE(MAX(audit_id), 0) FROM lead_archive_audit);

    CALL lead_archive_move_measured(
        p_direction, v_actor, p_request_id, p_lead_ids, p_insert, p_update, p_delete
    );

    -- The move is done and committed: its logs, and the client's address in its audit row.
    SET v_logging = FALSE;
    CALL lead_archive_vicidial_log(
        p_direction, v_actor, p_request_id, p_lead_ids, v_last_audit,
        v_log_user, v_user_group, p_client, p_client, TRUE, v_started, p_vicidial_log
    );
END//
DELIMITER ;
