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
