-- lead_archive_vicidial_log: VICIdial's own logs of a move that lead_archive_move has just
-- done and committed, and the note of them in that move's audit row.
--
-- The audit row is the newest one of this call's direction, actor, database account, request
-- id (NULL for a DBA's call) and id list, after p_after_audit. From its counts:
--   - one vicidial_admin_log row when the call changed a lead (inserted, updated or deleted
--     one), shaped like the row of VICIdial's own ADMIN_archive_leads.pl so that the Admin
--     Change Log shows who archived what: event_section 'LISTS', event_type 'MODIFY',
--     record_id 'leads', event_code 'LEAD ARCHIVE API' / 'LEAD DEARCHIVE API', user p_user and
--     ip_address p_ip (cut to 20 and 15), user_group p_user_group (else '---ALL---'),
--     event_sql the equivalent CALL, event_notes the counts, the request id and the audit id;
--   - with p_api (an HTTP request), one vicidial_api_log row, result 'SUCCESS'
--     (lead_archive_vicidial_api_log).
-- Nothing is written with p_log FALSE (LEAD_ARCHIVE_VICIDIAL_LOG=off). The logs come after
-- the data change, so a failing log insert cannot undo or fail the move: every insert is
-- caught and its outcome noted in the audit row's vicidial_log (see lead_archive_audit).
-- The audit row also gets p_client_address when given (the HTTP client).
-- Never fails: whatever goes wrong after the move (the audit row unreadable, say) is dropped.
-- Session: run with autocommit and sql_big_selects on (restored afterwards: the move has just
-- left no transaction open); lock_wait_timeout is 2 s during the inserts; LAST_INSERT_ID() is
-- restored.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_vicidial_log;

DELIMITER //
CREATE PROCEDURE lead_archive_vicidial_log (
    IN p_direction VARCHAR(16),
    IN p_actor VARCHAR(128),
    IN p_request_id VARCHAR(64),
    IN p_lead_ids LONGTEXT,
    IN p_after_audit BIGINT UNSIGNED,
    IN p_user VARCHAR(128),
    IN p_user_group VARCHAR(20),
    IN p_ip VARCHAR(64),
    IN p_client_address VARCHAR(64),
    IN p_api BOOLEAN,
    IN p_started DATETIME(6),
    IN p_log BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_db_account VARCHAR(255) DEFAULT SESSION_USER();
    DECLARE v_autocommit BIGINT DEFAULT @@SESSION.autocommit;
    DECLARE v_last_insert_id BIGINT UNSIGNED DEFAULT LAST_INSERT_ID();
    DECLARE v_lock_wait_timeout BIGINT UNSIGNED DEFAULT @@SESSION.lock_wait_timeout;
    DECLARE v_sql_big_selects BIGINT DEFAULT @@SESSION.sql_big_selects;
    DECLARE v_audit_id BIGINT UNSIGNED;
    DECLARE v_insert BOOLEAN;
    DECLARE v_update BOOLEAN;
    DECLARE v_delete BOOLEAN;
    DECLARE v_selected INT UNSIGNED;
    DECLARE v_inserted INT UNSIGNED;
    DECLARE v_updated INT UNSIGNED;
    DECLARE v_deleted INT UNSIGNED;
    DECLARE v_kept INT UNSIGNED;
    DECLARE v_source VARCHAR(64);
    DECLARE v_target VARCHAR(64);
    DECLARE v_notes TEXT;
    DECLARE v_admin VARCHAR(32) DEFAULT 'unchanged';
    DECLARE v_api VARCHAR(32);
    DECLARE v_errno INT;
    DECLARE v_last_errno INT;

    IF v_autocommit = 0 THEN
        SET SESSION autocommit = 1;
    END IF;
    -- a caller's max_join_size must not refuse the look-up of the audit row
    SET SESSION sql_big_selects = 1;

    -- Whatever fails from here on (the audit row unreadable, a setting of the caller's
    -- session), the move stands: it is done and committed.
    work: BEGIN
        DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN END;
        BEGIN
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_audit_id = NULL;
            SELECT
                audit_id,
                insert_leads,
                update_leads,
                delete_leads,
                select_count,
                insert_count,
                update_count,
                delete_count,
                kept_count
            INTO
            v_audit_id, v_insert, v_update, v_delete,
            v_selected, v_inserted, v_updated, v_deleted, v_kept
            FROM lead_archive_audit
            -- byte for byte: exact, and no collation of this database's can clash with the
            -- audit table's
            WHERE
                audit_id > COALESCE(p_after_audit, 0)
                AND CAST(operation AS BINARY) = CAST(p_direction AS BINARY)
                AND CAST(actor AS BINARY) = CAST(p_actor AS BINARY)
                AND CAST(db_account AS BINARY) = CAST(v_db_account AS BINARY)
                AND CAST(request_id AS BINARY) <=> CAST(p_request_id AS BINARY)
                AND CAST(lead_ids AS BINARY) = CAST(p_lead_ids AS BINARY)
            ORDER BY audit_id DESC
            LIMIT 1;
        END;

        IF v_audit_id IS NOT NULL THEN
            IF NOT COALESCE(p_log, FALSE) THEN
                SET v_notes = 'off';
            ELSE
                IF p_direction = 'archive' THEN
                    SET v_source = 'vicidial_list';
                    SET v_target = 'vicidial_list_archive';
                ELSE
                    SET v_source = 'vicidial_list_archive';
                    SET v_target = 'vicidial_list';
                END IF;
                SET v_notes = CONCAT(
                    v_selected, ' leads selected|',
                    v_inserted, ' ', v_target, ' leads inserted|',
                    IF(
                        p_direction = 'archive',
                        CONCAT(v_updated, ' ', v_target, ' leads updated|'),
                        ''
                    ),
                    v_deleted, ' ', v_source, ' leads deleted|',
                    v_kept, ' leads kept|',
                    'request_id ', COALESCE(p_request_id, '-'), '|',
                    'audit_id ', v_audit_id, '|'
                );
                IF v_lock_wait_timeout > 2 THEN
                    SET SESSION lock_wait_timeout = 2;
                END IF;
                IF v_inserted + v_updated + v_deleted > 0 THEN
                    SET v_admin = 'written';
                    BEGIN
                        DECLARE CONTINUE HANDLER FOR 1146 SET v_admin = 'absent';
                        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION
                        BEGIN
                            -- the error: the first condition on MariaDB, the last on MySQL (see
                            -- lead_archive_gateway_move)
                            GET DIAGNOSTICS CONDITION 1 v_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 1 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 2 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 3 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 4 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 5 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 6 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 7 v_last_errno = MYSQL_ERRNO;
                            GET DIAGNOSTICS CONDITION 8 v_last_errno = MYSQL_ERRNO;
                            IF VERSION() NOT LIKE '%MariaDB%' THEN
                                SET v_errno = v_last_errno;
                            END IF;
                            SET v_admin = CONCAT('error ', COALESCE(v_errno, 0));
                        END;
                        INSERT INTO vicidial_admin_log (
                            event_date, `user`, ip_address, event_section, event_type,
                            record_id, event_code, event_sql, event_notes, user_group
                        ) VALUES (
                            NOW(),
                            LEFT(COALESCE(p_user, ''), 20),
                            LEFT(COALESCE(p_ip, ''), 15),
                            'LISTS',
                            'MODIFY',
                            'leads',
                            IF(p_direction = 'archive', 'LEAD ARCHIVE API', 'LEAD DEARCHIVE API'),
                            CONCAT(
                                'CALL ', p_direction, '_leads(''',
                                REPLACE(p_lead_ids, '''', ''''''),
                                ''', ', IF(v_insert, 'TRUE', 'FALSE'),
                                IF(
                                    p_direction = 'archive',
                                    CONCAT(', ', IF(v_update, 'TRUE', 'FALSE')),
                                    ''
                                ),
                                ', ', IF(v_delete, 'TRUE', 'FALSE'), ');|'
                            ),
                            v_notes,
                            LEFT(COALESCE(p_user_group, '---ALL---'), 20)
                        );
                    END;
                END IF;
                SET SESSION lock_wait_timeout = v_lock_wait_timeout;
                SET v_notes = CONCAT('admin_log ', v_admin);
                IF p_api THEN
                    CALL lead_archive_vicidial_api_log(
                        p_user,
                        IF(p_direction = 'archive', 'lead_archive', 'lead_dearchive'),
                        'SUCCESS',
                        'ok',
                        p_lead_ids,
                        CONCAT(
                            'request_id=', COALESCE(p_request_id, ''), '|audit_id=', v_audit_id,
                            '|select_count=', v_selected, '|insert_count=', v_inserted,
                            '|update_count=', v_updated, '|delete_count=', v_deleted,
                            '|kept_count=', v_kept
                        ),
                        ROUND(TIMESTAMPDIFF(MICROSECOND, p_started, SYSDATE(6)) / 1000000, 6),
                        v_api
                    );
                    SET v_notes = CONCAT(v_notes, ', api_log ', v_api);
                END IF;
            END IF;

            UPDATE lead_archive_audit
            SET
                client_address = COALESCE(client_address, p_client_address),
                vicidial_log = v_notes
            WHERE audit_id = v_audit_id;
        END IF;
    END work;
    SET SESSION lock_wait_timeout = v_lock_wait_timeout;
    SET SESSION sql_big_selects = v_sql_big_selects;

    IF v_autocommit = 0 THEN
        SET SESSION autocommit = 0;
    END IF;
    DO LAST_INSERT_ID(v_last_insert_id);
END//
DELIMITER ;
