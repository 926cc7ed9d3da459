-- Failed key attempts per client address: the throttle of lead_archive_authenticate, shared
-- by every worker and every gateway host that uses this database. A row counts the failures
-- of one window (60 s from its first failure); blocked_until is set when the count reaches
-- the limit. Rows older than the window mean nothing and are deleted as new failures arrive.
-- Times are UTC (UTC_TIMESTAMP), whatever the session's time_zone.
CREATE TABLE IF NOT EXISTS lead_archive_auth_failures (
    client VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    window_start DATETIME(3) NOT NULL,
    failures INT UNSIGNED NOT NULL,
    blocked_until DATETIME(3) NULL,
    PRIMARY KEY (client),
    KEY window_start (window_start)
) ENGINE = InnoDB DEFAULT CHARSET = ascii;
