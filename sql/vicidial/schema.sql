-- The VICIdial tables this project reads and writes, as VICIdial's install creates them
-- (astguiclient schema 1728): vicidial_list and the tables that make a lead busy.
-- Used by the demo, the tests and docker-compose. Never run it against a production server:
-- VICIdial owns these tables there.
CREATE TABLE IF NOT EXISTS vicidial_list (
    lead_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    entry_date DATETIME,
    modify_date TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    status VARCHAR(6),
    `user` VARCHAR(20),
    vendor_lead_code VARCHAR(20),
    source_id VARCHAR(50),
    list_id BIGINT(14) UNSIGNED NOT NULL DEFAULT '0',
    gmt_offset_now DECIMAL(4, 2) DEFAULT '0.00',
    called_since_last_reset ENUM(
        'Y', 'N', 'Y1', 'Y2', 'Y3', 'Y4', 'Y5', 'Y6', 'Y7', 'Y8', 'Y9', 'Y10', 'D'
    ) DEFAULT 'N',
    phone_code VARCHAR(10),
    phone_number VARCHAR(18) NOT NULL,
    title VARCHAR(4),
    first_name VARCHAR(30),
    middle_initial VARCHAR(1),
    last_name VARCHAR(30),
    address1 VARCHAR(100),
    address2 VARCHAR(100),
    address3 VARCHAR(100),
    city VARCHAR(50),
    state VARCHAR(2),
    province VARCHAR(50),
    postal_code VARCHAR(10),
    country_code VARCHAR(3),
    gender ENUM('M', 'F', 'U') DEFAULT 'U',
    date_of_birth DATE,
    alt_phone VARCHAR(12),
    email VARCHAR(70),
    security_phrase VARCHAR(100),
    comments VARCHAR(255),
    called_count SMALLINT(5) UNSIGNED DEFAULT '0',
    last_local_call_time DATETIME,
    `rank` SMALLINT(5) NOT NULL DEFAULT '0',
    `owner` VARCHAR(20) DEFAULT '',
    entry_list_id BIGINT(14) UNSIGNED NOT NULL DEFAULT '0',
    PRIMARY KEY (lead_id),
    KEY phone_number (phone_number),
    KEY list_id (list_id),
    KEY called_since_last_reset (called_since_last_reset),
    KEY `status` (`status`),
    KEY gmt_offset_now (gmt_offset_now),
    KEY postal_code (postal_code),
    KEY last_local_call_time (last_local_call_time),
    KEY `rank` (`rank`),
    KEY `owner` (`owner`),
    KEY phone_list (phone_number, list_id),
    KEY list_phone (list_id, phone_number),
    KEY list_status (list_id, `status`)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_hopper (
    hopper_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    lead_id INT(9) UNSIGNED NOT NULL,
    campaign_id VARCHAR(8),
    `status` ENUM('READY', 'QUEUE', 'INCALL', 'DONE', 'HOLD', 'DNC', 'RHOLD', 'RQUEUE')
    DEFAULT 'READY',
    `user` VARCHAR(20),
    list_id BIGINT(14) UNSIGNED NOT NULL,
    gmt_offset_now DECIMAL(4, 2) DEFAULT '0.00',
    `priority` TINYINT(2) DEFAULT '0',
    PRIMARY KEY (hopper_id),
    KEY lead_id (lead_id)
) ENGINE = MEMORY;

CREATE TABLE IF NOT EXISTS vicidial_auto_calls (
    auto_call_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    server_ip VARCHAR(15) NOT NULL,
    campaign_id VARCHAR(20),
    `status` ENUM(
        'SENT', 'RINGING', 'LIVE', 'XFER', 'PAUSED', 'CLOSER', 'BUSY', 'DISCONNECT', 'IVR'
    ),
    lead_id INT(9) UNSIGNED NOT NULL,
    uniqueid VARCHAR(20),
    callerid VARCHAR(20),
    phone_number VARCHAR(18),
    call_time DATETIME,
    PRIMARY KEY (auto_call_id),
    KEY lead_id (lead_id)
) ENGINE = MEMORY;

CREATE TABLE IF NOT EXISTS vicidial_live_agents (
    live_agent_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    `user` VARCHAR(20),
    server_ip VARCHAR(15) NOT NULL,
    conf_exten VARCHAR(20),
    `status` ENUM('READY', 'QUEUE', 'INCALL', 'PAUSED', 'CLOSER', 'MQUEUE') DEFAULT 'PAUSED',
    lead_id INT(9) UNSIGNED NOT NULL,
    campaign_id VARCHAR(8),
    last_call_time DATETIME,
    PRIMARY KEY (live_agent_id),
    KEY `user` (`user`)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_callbacks (
    callback_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    lead_id INT(9) UNSIGNED,
    list_id BIGINT(14) UNSIGNED,
    campaign_id VARCHAR(8),
    `status` VARCHAR(10),
    entry_time DATETIME,
    callback_time DATETIME,
    `user` VARCHAR(20),
    recipient ENUM('USERONLY', 'ANYONE'),
    comments VARCHAR(255),
    PRIMARY KEY (callback_id),
    KEY lead_id (lead_id),
    KEY `status` (`status`)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

-- The tables below mean "this lead is in flight" too; each exists only on newer schemas
-- (a test drops them to play an older server).
CREATE TABLE IF NOT EXISTS vicidial_inbound_callback_queue (
    icbq_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    icbq_date DATETIME,
    icbq_status VARCHAR(10),
    icbq_phone_number VARCHAR(20),
    icbq_phone_code VARCHAR(10),
    icbq_nextday_choice ENUM('Y', 'N', 'U') DEFAULT 'U',
    lead_id INT(9) UNSIGNED NOT NULL,
    group_id VARCHAR(20) NOT NULL,
    queue_priority TINYINT(2) DEFAULT '0',
    call_date DATETIME,
    gmt_offset_now DECIMAL(4, 2) DEFAULT '0.00',
    modify_date TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (icbq_id),
    KEY icbq_status (icbq_status),
    KEY group_id (group_id),
    KEY icbq_date (icbq_date),
    KEY call_date (call_date)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_abandon_check_queue (
    abandon_check_id INT(10) UNSIGNED NOT NULL AUTO_INCREMENT,
    lead_id INT(9) UNSIGNED DEFAULT NULL,
    phone_number VARCHAR(18) DEFAULT '',
    call_id VARCHAR(40) DEFAULT '',
    abandon_time DATETIME DEFAULT NULL,
    dispo VARCHAR(6) DEFAULT NULL,
    check_status ENUM(
        'NEW', 'REJECT', 'QUEUE', 'PROCESSING', 'COMPLETE', 'CONNECTED', 'ARCHIVE'
    ) DEFAULT 'NEW',
    reject_reason VARCHAR(40) DEFAULT '',
    `source` VARCHAR(20) DEFAULT NULL,
    PRIMARY KEY (abandon_check_id),
    KEY abandon_time (abandon_time),
    KEY phone_number (phone_number),
    KEY lead_id (lead_id)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_shared_drops (
    callerid VARCHAR(20),
    server_ip VARCHAR(15) NOT NULL,
    campaign_id VARCHAR(20),
    `status` ENUM(
        'SENT', 'RINGING', 'LIVE', 'XFER', 'PAUSED', 'CLOSER', 'BUSY', 'DISCONNECT', 'IVR'
    ) DEFAULT 'PAUSED',
    lead_id INT(9) UNSIGNED NOT NULL,
    uniqueid VARCHAR(20),
    channel VARCHAR(100),
    phone_code VARCHAR(10),
    phone_number VARCHAR(18),
    call_time DATETIME,
    call_type ENUM('IN', 'OUT', 'OUTBALANCE') DEFAULT 'OUT',
    stage VARCHAR(20) DEFAULT 'START',
    last_update_time DATETIME,
    alt_dial VARCHAR(6) DEFAULT 'NONE',
    drop_time DATETIME,
    KEY callerid (callerid),
    KEY call_time (call_time),
    KEY drop_time (drop_time)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_hci_reserve (
    `user` VARCHAR(20) DEFAULT NULL,
    lead_id INT(9) UNSIGNED DEFAULT NULL,
    phone_number VARCHAR(18) DEFAULT NULL,
    reserve_date DATETIME DEFAULT NULL,
    campaign_id VARCHAR(8) DEFAULT NULL,
    `status` VARCHAR(40) DEFAULT NULL,
    UNIQUE KEY vhcir (lead_id, `user`, campaign_id),
    KEY `user` (`user`),
    KEY reserve_date (reserve_date),
    KEY lead_id (lead_id)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_call_times (
    call_time_id VARCHAR(10) NOT NULL,
    call_time_name VARCHAR(30) NOT NULL,
    ct_default_start SMALLINT(4) UNSIGNED NOT NULL DEFAULT '900',
    ct_default_stop SMALLINT(4) UNSIGNED NOT NULL DEFAULT '2100',
    ct_sunday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_sunday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_monday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_monday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_tuesday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_tuesday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_wednesday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_wednesday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_thursday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_thursday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_friday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_friday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_saturday_start SMALLINT(4) UNSIGNED DEFAULT '0',
    ct_saturday_stop SMALLINT(4) UNSIGNED DEFAULT '0',
    PRIMARY KEY (call_time_id)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;
