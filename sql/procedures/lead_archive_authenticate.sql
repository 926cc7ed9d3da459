-- lead_archive_authenticate: the API user holding a key, by the SHA-256 of the key, and the
-- throttle of failed attempts per client address (lead_archive_auth_failures), in one call.
-- For a key bound to a VICIdial user, also that user's permission for the route's function
-- p_function ('lead_archive' / 'lead_dearchive'), as VICIdial's own API checks it
-- (lead_archive_vicidial_user), read again at every request.
--
-- Returns one row (name, key_sha256, blocked_for, refusal):
--   blocked_for set      the address has failed too often: refused without looking at the key
--                        for that many seconds (the gateway answers 429 and remembers it)
--   name set             an active user holds this key; the address's failures are forgotten;
--                        refusal 'permission_denied' when its VICIdial user may not use
--                        p_function (the gateway answers 403; with p_vicidial_log one
--                        vicidial_api_log row 'ERROR' is written here, for request
--                        p_request_id), else NULL
--   all NULL             no active user holds this key (or p_key_sha256 is NULL: a malformed
--                        key): the failure is counted against the address; or the key's
--                        VICIdial user is missing or inactive (not counted: the key is right)
-- At most 10 failures per address in 60 s: the 10th failure blocks the address until 60 s
-- after the first one of its window (the 11th request is the first refused). The state is in
-- the database, so every worker and every gateway host behind one balancer sees the same
-- count. The gateway compares the returned hash again in constant time.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_authenticate;

DELIMITER //
CREATE PROCEDURE lead_archive_authenticate (
    IN p_key_sha256 BINARY(32),
    IN p_client VARCHAR(64),
    IN p_function VARCHAR(20),
    IN p_request_id VARCHAR(64),
    IN p_vicidial_log BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_limit INT UNSIGNED DEFAULT 10;
    DECLARE v_window INT UNSIGNED DEFAULT 60;
    DECLARE v_now DATETIME(3) DEFAULT UTC_TIMESTAMP(3);
    DECLARE v_client VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin DEFAULT COALESCE(
        p_client, 'unknown'
    );
    DECLARE v_blocked_until DATETIME(3);
    DECLARE v_blocked_for BIGINT;
    DECLARE v_name VARCHAR(64);
    DECLARE v_hash BINARY(32);
    DECLARE v_bound VARCHAR(20);
    DECLARE v_state VARCHAR(20) DEFAULT 'ok';
    DECLARE v_vicidial_user VARCHAR(20);
    DECLARE v_user_group VARCHAR(20);
    DECLARE v_restrict BOOLEAN;
    DECLARE v_status VARCHAR(32);
    DECLARE v_stale VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_name = NULL;

    SET v_blocked_until = (
        SELECT blocked_until FROM lead_archive_auth_failures
        WHERE client = v_client AND blocked_until > v_now
    );
    IF v_blocked_until IS NOT NULL THEN
        SET v_blocked_for = CEIL(TIMESTAMPDIFF(MICROSECOND, v_now, v_blocked_until) / 1000000);
        SELECT
            NULL AS name,
            NULL AS key_sha256,
            v_blocked_for AS blocked_for,
            NULL AS refusal;
    ELSE
        -- at most once a minute: a write (and its log flush) on every request would cost more
        -- than the lookup
        UPDATE lead_archive_api_users
        SET last_used_at = NOW()
        WHERE
            key_sha256 = p_key_sha256
            AND revoked_at IS NULL
            AND (last_used_at IS NULL OR last_used_at < NOW() - INTERVAL 1 MINUTE);

        SELECT
            name,
            key_sha256,
            vicidial_user
        INTO v_name, v_hash, v_bound
        FROM lead_archive_api_users
        WHERE key_sha256 = p_key_sha256 AND revoked_at IS NULL;
        IF v_bound IS NOT NULL AND v_name IS NOT NULL THEN
            CALL lead_archive_vicidial_user(
                v_bound, p_function, v_state, v_vicidial_user, v_user_group, v_restrict
            );
            IF v_state = 'permission_denied' AND p_vicidial_log THEN
                CALL lead_archive_vicidial_api_log(
                    v_vicidial_user,
                    p_function,
                    'ERROR',
                    'permission_denied',
                    '',
                    CONCAT('request_id=', COALESCE(p_request_id, '')),
                    '0',
                    v_status
                );
            END IF;
        END IF;
        IF v_state = 'invalid_api_key' THEN
            -- the right key of a VICIdial user who is gone or disabled: refused like an
            -- unknown key, without counting a failure against the address
            SET v_name = NULL;
            SET v_hash = NULL;
        ELSEIF v_name IS NOT NULL THEN
            IF EXISTS (
                SELECT 1 FROM lead_archive_auth_failures
                WHERE client = v_client
            ) THEN
                DELETE FROM lead_archive_auth_failures
                WHERE client = v_client;
            END IF;
        ELSE
            -- the address's window has ended: it starts again
            IF EXISTS (
                SELECT 1 FROM lead_archive_auth_failures
                WHERE client = v_client AND window_start <= v_now - INTERVAL v_window SECOND
            ) THEN
                DELETE FROM lead_archive_auth_failures
                WHERE client = v_client;
            END IF;
            -- assignments run left to right: blocked_until reads the old count
            INSERT INTO lead_archive_auth_failures (client, window_start, failures)
            VALUES (v_client, v_now, 1)
            ON DUPLICATE KEY UPDATE
                blocked_until = IF(
                    failures + 1 >= v_limit, window_start + INTERVAL v_window SECOND, NULL
                ),
                failures = failures + 1;
            -- and one row of another address whose window has ended: the table keeps no more
            -- than the live windows and a backlog that shrinks with every failure. Rows are
            -- deleted by primary key only (no range locks that concurrent failures would
            -- wait on).
            SET v_stale = (
                SELECT client FROM lead_archive_auth_failures
                WHERE window_start <= v_now - INTERVAL v_window SECOND
                ORDER BY window_start LIMIT 1
            );
            IF v_stale IS NOT NULL THEN
                DELETE FROM lead_archive_auth_failures
                WHERE client = v_stale AND window_start <= v_now - INTERVAL v_window SECOND;
            END IF;
        END IF;
        SELECT
            v_name AS name,
            v_hash AS key_sha256,
            NULL AS blocked_for,
            IF(v_state = 'permission_denied', 'permission_denied', NULL) AS refusal;
    END IF;
END//
DELIMITER ;
