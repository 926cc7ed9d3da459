-- lead_archive_vicidial_api_log: one row of VICIdial's vicidial_api_log for an HTTP request
-- of the gateway, shaped as VICIdial's non-agent API writes its own: user, api_date now,
-- api_script 'lead-arch', function ('lead_archive' / 'lead_dearchive'), value, result
-- ('SUCCESS' / 'ERROR'), result_reason (the answer's code), source 'lead-archive', data,
-- run_time (seconds). Values are cut to VICIdial's column sizes.
-- Never fails: p_status says what happened ('written', 'absent' when there is no such table,
-- 'error <errno>' when the insert failed: a column dropped, a trigger refusing, the table
-- locked by another session for more than 2 s, ...). Callers record it; the project's own
-- audit stays the complete record.
-- Session: lock_wait_timeout is 2 s during the insert, then restored; LAST_INSERT_ID() is
-- restored.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_vicidial_api_log;

DELIMITER //
CREATE PROCEDURE lead_archive_vicidial_api_log (
    IN p_user VARCHAR(128),
    IN p_function VARCHAR(20),
    IN p_result VARCHAR(10),
    IN p_reason VARCHAR(255),
    IN p_value LONGTEXT,
    IN p_data LONGTEXT,
    IN p_run_time VARCHAR(20),
    OUT p_status VARCHAR(32)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_errno INT;
    DECLARE v_last_errno INT;
    DECLARE v_last_insert_id BIGINT UNSIGNED DEFAULT LAST_INSERT_ID();
    DECLARE v_lock_wait_timeout BIGINT UNSIGNED DEFAULT @@SESSION.lock_wait_timeout;

    SET p_status = 'written';
    IF v_lock_wait_timeout > 2 THEN
        SET SESSION lock_wait_timeout = 2;
    END IF;
    BEGIN
        DECLARE CONTINUE HANDLER FOR 1146 SET p_status = 'absent';
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
            SET p_status = CONCAT('error ', COALESCE(v_errno, 0));
        END;
        INSERT INTO vicidial_api_log (
            `user`, api_date, api_script, `function`, `value`, result, result_reason,
            source, `data`, run_time
        ) VALUES (
            LEFT(COALESCE(p_user, ''), 20),
            NOW(),
            'lead-arch',
            LEFT(COALESCE(p_function, ''), 20),
            LEFT(COALESCE(p_value, ''), 255),
            LEFT(p_result, 10),
            LEFT(p_reason, 255),
            'lead-archive',
            LEFT(COALESCE(p_data, ''), 65535),
            LEFT(COALESCE(p_run_time, '0'), 20)
        );
    END;
    SET SESSION lock_wait_timeout = v_lock_wait_timeout;
    DO LAST_INSERT_ID(v_last_insert_id);
END//
DELIMITER ;
