-- VICIdial's users, user groups, lists, campaigns and its two logs, as its install creates them
-- (astguiclient schema 1728), reduced to the columns this project reads or writes (the others
-- keep their defaults). Used by the demo and the tests; never run it against a production
-- server: VICIdial owns these tables there.
CREATE TABLE IF NOT EXISTS vicidial_users (
    user_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    `user` VARCHAR(20) NOT NULL,
    pass VARCHAR(100) NOT NULL,
    full_name VARCHAR(50),
    user_level TINYINT(3) UNSIGNED DEFAULT '1',
    user_group VARCHAR(20),
    active ENUM('Y', 'N') DEFAULT 'Y',
    modify_leads ENUM('0', '1', '2', '3', '4', '5', '6') DEFAULT '0',
    vdc_agent_api_access ENUM('0', '1') DEFAULT '0',
    api_allowed_functions VARCHAR(1000) DEFAULT ' ALL_FUNCTIONS ',
    api_list_restrict ENUM('1', '0') DEFAULT '0',
    api_only_user ENUM('0', '1') DEFAULT '0',
    pass_hash VARCHAR(500) DEFAULT '',
    PRIMARY KEY (user_id),
    UNIQUE KEY `user` (`user`)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_user_groups (
    user_group VARCHAR(20) NOT NULL,
    group_name VARCHAR(40) NOT NULL,
    allowed_campaigns TEXT,
    UNIQUE KEY user_group (user_group)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_campaigns (
    campaign_id VARCHAR(8) NOT NULL,
    campaign_name VARCHAR(40),
    active ENUM('Y', 'N'),
    PRIMARY KEY (campaign_id)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_lists (
    list_id BIGINT(14) UNSIGNED NOT NULL,
    list_name VARCHAR(30),
    campaign_id VARCHAR(8),
    active ENUM('Y', 'N'),
    PRIMARY KEY (list_id),
    KEY campaign_id (campaign_id)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_admin_log (
    admin_log_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    event_date DATETIME NOT NULL,
    `user` VARCHAR(20) NOT NULL,
    ip_address VARCHAR(15) NOT NULL,
    event_section VARCHAR(30) NOT NULL,
    event_type ENUM(
        'ADD', 'COPY', 'LOAD', 'RESET', 'MODIFY', 'DELETE', 'SEARCH', 'LOGIN', 'LOGOUT',
        'CLEAR', 'OVERRIDE', 'EXPORT', 'OTHER'
    ) DEFAULT 'OTHER',
    record_id VARCHAR(50) NOT NULL,
    event_code VARCHAR(255) NOT NULL,
    event_sql MEDIUMTEXT,
    event_notes MEDIUMTEXT,
    user_group VARCHAR(20) DEFAULT '---ALL---',
    PRIMARY KEY (admin_log_id),
    KEY `user` (`user`),
    KEY event_section (event_section),
    KEY record_id (record_id),
    KEY event_date (event_date),
    KEY user_group (user_group)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;

CREATE TABLE IF NOT EXISTS vicidial_api_log (
    api_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,
    `user` VARCHAR(20) NOT NULL,
    api_date DATETIME,
    api_script VARCHAR(10),
    `function` VARCHAR(20) NOT NULL,
    agent_user VARCHAR(20),
    `value` VARCHAR(255),
    result VARCHAR(10),
    result_reason VARCHAR(255),
    source VARCHAR(20),
    `data` TEXT,
    run_time VARCHAR(20) DEFAULT '0',
    webserver SMALLINT(5) UNSIGNED DEFAULT '0',
    api_url INT(9) UNSIGNED DEFAULT '0',
    PRIMARY KEY (api_id),
    KEY api_date (api_date),
    KEY `user` (`user`)
) ENGINE = MyISAM DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_unicode_ci;
