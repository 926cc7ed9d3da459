-- Every call of archive_leads / dearchive_leads that passed its checks leaves one row here.
-- InnoDB on purpose: the audit row commits with the work on InnoDB lead tables.
-- actor: the API user of an HTTP call (derived in the database from the key), else the
-- calling account; db_account: the account that called; client_address: the HTTP client;
-- vicidial_log: what became of VICIdial's own log rows for this call, written after the data
-- change (lead_archive_vicidial_log): 'off', or 'admin_log <state>' (and for an HTTP request
-- ', api_log <state>'), <state> one of written, unchanged (no lead changed: no row is due),
-- absent (no such table), error <errno>.
CREATE TABLE IF NOT EXISTS lead_archive_audit (
    audit_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    called_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    operation VARCHAR(16) NOT NULL,
    actor VARCHAR(128) NOT NULL,
    db_account VARCHAR(255) NOT NULL,
    request_id VARCHAR(64) NULL,
    client_address VARCHAR(64) NULL,
    insert_leads TINYINT(1) NOT NULL,
    update_leads TINYINT(1) NOT NULL,
    delete_leads TINYINT(1) NOT NULL,
    lead_ids MEDIUMTEXT NOT NULL,
    select_count INT UNSIGNED NOT NULL,
    insert_count INT UNSIGNED NOT NULL,
    update_count INT UNSIGNED NOT NULL,
    delete_count INT UNSIGNED NOT NULL,
    kept_count INT UNSIGNED NOT NULL,
    vicidial_log VARCHAR(255) NULL,
    -- the longest a single statement of the call held vicidial_list, in ms
    max_lock_ms DECIMAL(12, 3) NULL,
    PRIMARY KEY (audit_id),
    KEY called_at (called_at),
    KEY request_id (request_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Upgrade of an audit table made before client_address, vicidial_log or max_lock_ms existed
-- (MariaDB and MySQL alike: MySQL has no ADD COLUMN IF NOT EXISTS).
DROP PROCEDURE IF EXISTS lead_archive_upgrade_audit;

DELIMITER //
CREATE PROCEDURE lead_archive_upgrade_audit ()
MODIFIES SQL DATA
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.COLUMNS
        WHERE
            TABLE_SCHEMA = DATABASE()
            AND TABLE_NAME = 'lead_archive_audit'
            AND COLUMN_NAME = 'client_address'
    ) THEN
        ALTER TABLE lead_archive_audit
        ADD COLUMN client_address VARCHAR(64) NULL AFTER request_id;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.COLUMNS
        WHERE
            TABLE_SCHEMA = DATABASE()
            AND TABLE_NAME = 'lead_archive_audit'
            AND COLUMN_NAME = 'vicidial_log'
    ) THEN
        ALTER TABLE lead_archive_audit
        ADD COLUMN vicidial_log VARCHAR(255) NULL AFTER kept_count;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.COLUMNS
        WHERE
            TABLE_SCHEMA = DATABASE()
            AND TABLE_NAME = 'lead_archive_audit'
            AND COLUMN_NAME = 'max_lock_ms'
    ) THEN
        ALTER TABLE lead_archive_audit
        ADD COLUMN max_lock_ms DECIMAL(12, 3) NULL AFTER vicidial_log;
    END IF;
END//
DELIMITER ;

CALL lead_archive_upgrade_audit();
DROP PROCEDURE lead_archive_upgrade_audit;
