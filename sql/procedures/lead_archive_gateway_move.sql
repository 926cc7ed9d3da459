-- lead_archive_gateway_move: the one move the HTTP gateway's database account may call.
--
-- The gateway passes the SHA-256 of the API key it was shown, never a user name: the key is
-- looked up here and the audit's actor is the API user who holds it, so whoever holds the
-- gateway's database credentials cannot write an audit row in another user's name (the
-- account has EXECUTE on this procedure and not on lead_archive_move). The audit row also
-- names the database account (db_account, SESSION_USER()) and the HTTP client's address.
--
-- Refused with 'invalid_api_key: …' when no active API user holds the key (say a key revoked
-- between the gateway's check and this call); otherwise it returns exactly what
-- lead_archive_move_measured returns (result sets and errors), which it calls unchanged.
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
    IN p_delete BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_actor VARCHAR(64);
    DECLARE v_db_account VARCHAR(255) DEFAULT SESSION_USER();
    DECLARE v_last_audit BIGINT UNSIGNED;

    SET v_actor = (
        SELECT name FROM lead_archive_api_users
        WHERE key_sha256 = p_key_sha256 AND revoked_at IS NULL
    );
    IF v_actor IS NULL THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'invalid_api_key: no active API user holds this key';
    END IF;
    IF COALESCE(p_request_id, '') = '' THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'internal_error: the gateway passes a request id';
    END IF;

    SET v_last_audit = (SELECT COALESCE(MAX(audit_id), 0) FROM lead_archive_audit);

    CALL lead_archive_move_measured(
        p_direction, v_actor, p_request_id, p_lead_ids, p_insert, p_update, p_delete
    );

    -- The row lead_archive_move has just written (a refused call wrote none and raised above).
    UPDATE lead_archive_audit
    SET client_address = p_client
    WHERE
        audit_id > v_last_audit
        AND request_id = p_request_id
        AND actor = v_actor
        AND db_account = v_db_account
        AND client_address IS NULL;
END//
DELIMITER ;
