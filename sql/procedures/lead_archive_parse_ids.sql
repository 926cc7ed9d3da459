-- lead_archive_parse_ids: turn the JSON id list of a call into the session's temporary table
-- lead_archive_request (pos, lead_id, ...), or refuse the call with SQLSTATE 45000.
-- Written without JSON_TABLE (MariaDB 10.6+ only): the list is checked to be a JSON array
-- of plain integer literals and then loaded by one multi-row INSERT.
-- pos is 1, 2, 3, ... whatever auto_increment_increment and auto_increment_offset say.
-- Session: creates lead_archive_request (MEMORY; never a caller's table of that name), which the
-- caller drops (lead_archive_move); uses @lead_archive_sql and the prepared statement
-- lead_archive_stmt (deallocated), which lead_archive_move restores.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_parse_ids;

DELIMITER //
CREATE PROCEDURE lead_archive_parse_ids (
    IN p_lead_ids LONGTEXT,
    IN p_max_leads INT
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_compact LONGTEXT;
    DECLARE v_count INT;
    DECLARE v_bad INT;
    DECLARE v_message TEXT;
    DECLARE v_taken BOOLEAN DEFAULT FALSE;
    DECLARE v_first BIGINT;
    DECLARE v_last BIGINT;
    DECLARE v_gap BIGINT;

    -- A table of this name already in the session: lead_archive_work_reclaim.
    request: LOOP
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_taken = TRUE;
            CREATE TEMPORARY TABLE lead_archive_request (
                pos INT UNSIGNED NOT NULL AUTO_INCREMENT,
                lead_id BIGINT UNSIGNED NOT NULL,
                in_target TINYINT(1) NOT NULL DEFAULT 0,
                id_conflict TINYINT(1) NOT NULL DEFAULT 0,
                differs TINYINT(1) NOT NULL DEFAULT 0,
                busy TINYINT(1) NOT NULL DEFAULT 0,
                inserted TINYINT(1) NOT NULL DEFAULT 0,
                updated TINYINT(1) NOT NULL DEFAULT 0,
                deleted TINYINT(1) NOT NULL DEFAULT 0,
                reason VARCHAR(16) NULL,
                lead_archive_work TINYINT NULL,
                PRIMARY KEY (pos),
                KEY lead_id (lead_id) USING BTREE
            ) ENGINE = MEMORY;
        END;
        IF NOT v_taken THEN
            LEAVE request;
        END IF;
        CALL lead_archive_work_reclaim('lead_archive_request', TRUE);
        SET v_taken = FALSE;
    END LOOP;

    IF
        p_lead_ids IS NULL
        OR (JSON_VALID(p_lead_ids) AND JSON_TYPE(p_lead_ids) = 'NULL')
        OR (
            JSON_VALID(p_lead_ids)
            AND JSON_TYPE(p_lead_ids) = 'ARRAY'
            AND JSON_LENGTH(p_lead_ids) = 0
        )
    THEN
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'missing_lead_ids: lead_ids must contain atleast 1 value';
    END IF;

    -- JSON functions coerce silently ("7" -> 7, 1.5 -> 2): accept only a valid JSON array whose
    -- items are unsigned integer literals of at most 10 digits; the range is checked below.
    -- The brackets are checked outside the pattern: MySQL's regular expressions (ICU) and
    -- MariaDB's (PCRE) read a bracket inside a bracket expression differently.
    SET v_compact = REGEXP_REPLACE(p_lead_ids, '[[:space:]]+', '');
    IF
        NOT JSON_VALID(p_lead_ids)
        OR LEFT(v_compact, 1) != '['
        OR RIGHT(v_compact, 1) != ']'
        OR NOT SUBSTRING(v_compact, 2, CHAR_LENGTH(v_compact) - 2)
        REGEXP '^[0-9]{1,10}(,[0-9]{1,10})*$'
    THEN
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'invalid_lead_ids: lead_ids must only contain integer values';
    END IF;

    SET @lead_archive_sql = CONCAT(
        'INSERT INTO lead_archive_request (lead_id) VALUES (',
        REPLACE(SUBSTRING(v_compact, 2, CHAR_LENGTH(v_compact) - 2), ',', '),('),
        ')'
    );
    PREPARE lead_archive_stmt FROM @lead_archive_sql;
    EXECUTE lead_archive_stmt;
    DEALLOCATE PREPARE lead_archive_stmt;

    SELECT COUNT(*) INTO v_bad FROM lead_archive_request
    WHERE lead_id < 1 OR lead_id > 4294967295;
    IF v_bad > 0 THEN
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'invalid_lead_ids: lead_ids must only contain integer values';
    END IF;

    SELECT COUNT(*) INTO v_count FROM lead_archive_request;
    IF v_count > p_max_leads THEN
        SET v_message = CONCAT(
            'too_many_lead_ids: lead_ids cannot exceed ', p_max_leads, ' values'
        );
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    SELECT
        COUNT(*) AS duplicate_count,
        LEFT(GROUP_CONCAT(d.lead_id ORDER BY d.first_pos SEPARATOR ','), 400) AS duplicate_list
    INTO v_bad, v_message
    FROM (
        SELECT
            lead_id,
            MIN(pos) AS first_pos
        FROM lead_archive_request
        GROUP BY lead_id
        HAVING COUNT(*) > 1
    ) AS d;
    IF v_bad > 0 THEN
        SET v_message = CONCAT(
            'duplicate_lead_ids: lead_ids cannot contain duplicate values: ', v_message
        );
        -- MySQL refuses a MESSAGE_TEXT over 128 characters: a longer list ends after the
        -- last whole id that fits, then ',...'
        IF CHAR_LENGTH(v_message) > 128 THEN
            SET v_message = LEFT(v_message, 124);
            SET v_message = CONCAT(
                LEFT(v_message, CHAR_LENGTH(v_message) - LOCATE(',', REVERSE(v_message))),
                ',...'
            );
        END IF;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    -- pos numbers the ids 1, 2, 3, ... in the order given: the move's chunks are ranges of pos
    -- bounded by the id count. AUTO_INCREMENT follows auto_increment_increment and _offset
    -- (a caller's SET, Galera, group replication): one INSERT numbers its rows with an even
    -- step from its first value, renumbered here in order (each new value is below every old
    -- one still to come, so the key never collides).
    SELECT
        MIN(pos) AS first_pos,
        MAX(pos) AS last_pos
    INTO v_first, v_last
    FROM lead_archive_request;
    IF v_first != 1 OR v_last != v_count THEN
        SET v_gap = IF(v_count > 1, (v_last - v_first) DIV (v_count - 1), 1);
        UPDATE lead_archive_request
        SET pos = (pos - v_first) DIV v_gap + 1
        ORDER BY pos;
        IF (SELECT MAX(pos) FROM lead_archive_request) != v_count THEN
            SIGNAL SQLSTATE '45000'
                SET MESSAGE_TEXT = 'internal_error: the id list could not be numbered';
        END IF;
    END IF;
END//
DELIMITER ;
