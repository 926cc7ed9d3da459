-- lead_archive_move: the one verified move behind archive_leads and dearchive_leads.
--
--   p_direction 'archive':   vicidial_list -> vicidial_list_archive, update step allowed,
--                            busy leads (hopper, live calls, agents, callbacks) are never deleted
--   p_direction 'dearchive': vicidial_list_archive -> vicidial_list, no update step
--
-- Steps, each one statement, each safe to re-run (MyISAM has no rollback):
--   1. parse and validate the id list       (lead_archive_parse_ids)
--   2. schema guard                          (lead_archive_guard)
--   3. every id must exist in the source
--   4. insert: copy leads absent from the target
--   5. update: rewrite target rows that differ byte for byte (archive only)
--   6. delete: ONE statement deleting source rows whose target row is byte-identical on every
--      column of the source (NULL-safe, binary, so case, trailing spaces and accents count)
--      and that are not busy
-- A refused call raises SQLSTATE 45000 with MESSAGE_TEXT '<code>: <text>' before any write.
-- leads_not_found and schema_mismatch first return a result set with the details.
-- On InnoDB the call is one transaction; rows are locked in lead_id order. Error 1213
-- (deadlock) leaves nothing behind and the call may simply be repeated.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_move;

DELIMITER //
CREATE PROCEDURE lead_archive_move (
    IN p_direction VARCHAR(16),
    IN p_actor VARCHAR(128),
    IN p_request_id VARCHAR(64),
    IN p_lead_ids LONGTEXT,
    IN p_insert BOOLEAN,
    IN p_update BOOLEAN,
    IN p_delete BOOLEAN
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_source VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci;
    DECLARE v_target VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci;
    DECLARE v_cols LONGTEXT;
    DECLARE v_select LONGTEXT;
    DECLARE v_assign LONGTEXT;
    DECLARE v_equal LONGTEXT;
    DECLARE v_busy LONGTEXT DEFAULT '';
    DECLARE v_count INT;
    DECLARE v_requested INT;
    DECLARE v_found INT;
    DECLARE v_archived INT;
    DECLARE v_message TEXT;
    DECLARE v_group_concat_max_len BIGINT UNSIGNED DEFAULT @@SESSION.group_concat_max_len;

    DECLARE v_in_transaction BOOLEAN DEFAULT FALSE;
    -- read once into a variable: a replica then logs the value, not the function
    DECLARE v_db_account VARCHAR(255) DEFAULT SESSION_USER();
    DECLARE v_locked BOOLEAN DEFAULT FALSE;
    DECLARE v_lock_name VARCHAR(128);
    DECLARE v_source_engine VARCHAR(64);
    DECLARE v_target_engine VARCHAR(64);

    -- ROLLBACK only once a transaction is open: a refusal before it then carries its own
    -- condition alone (a ROLLBACK would add warning 1196 for the MEMORY work table).
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_in_transaction THEN
            ROLLBACK;
        END IF;
        IF v_locked THEN
            DO RELEASE_LOCK(v_lock_name);
        END IF;
        SET SESSION group_concat_max_len = v_group_concat_max_len;
        RESIGNAL;
    END;

    SET SESSION group_concat_max_len = 1048576;

    IF p_direction = 'archive' THEN
        SET v_source = 'vicidial_list';
        SET v_target = 'vicidial_list_archive';
    ELSEIF p_direction = 'dearchive' THEN
        SET v_source = 'vicidial_list_archive';
        SET v_target = 'vicidial_list';
        SET p_update = FALSE;
    ELSE
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'internal_error: direction must be archive or dearchive';
    END IF;
    SET p_insert = COALESCE(p_insert, FALSE);
    SET p_update = COALESCE(p_update, FALSE);
    SET p_delete = COALESCE(p_delete, FALSE);

    -- 1. the id list
    CALL lead_archive_parse_ids(p_lead_ids, 500);

    -- 2. the schema guard
    CALL lead_archive_guard(v_source, v_target);
    SELECT
        COUNT(*) AS problem_count,
        LEFT(
            GROUP_CONCAT(IF(column_name = '', problem, column_name) SEPARATOR ', '), 400
        ) AS problem_list
    INTO v_count, v_message
    FROM lead_archive_problems;
    IF v_count > 0 THEN
        SELECT
            column_name,
            problem
        FROM lead_archive_problems;
        SET v_message = CONCAT(
            'schema_mismatch: ', v_target, ' does not match ', v_source, ': ', v_message
        );
        -- MySQL refuses a MESSAGE_TEXT over 128 characters; the result set has every problem
        SET v_message = IF(
            CHAR_LENGTH(v_message) > 128, CONCAT(LEFT(v_message, 125), '...'), v_message
        );
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    -- Column lists of the source, as the guard read them now: a column added later is
    -- copied and compared too.
    SELECT
        GROUP_CONCAT(
            CONCAT('`', REPLACE(column_name, '`', '``'), '`')
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS column_list,
        GROUP_CONCAT(
            CONCAT('s.`', REPLACE(column_name, '`', '``'), '`')
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS select_list,
        GROUP_CONCAT(
            CONCAT(
                't.`', REPLACE(column_name, '`', '``'), '` = s.`',
                REPLACE(column_name, '`', '``'), '`'
            )
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS assign_list,
        GROUP_CONCAT(
            CONCAT(
                'CAST(t.`', REPLACE(column_name, '`', '``'), '` AS BINARY) <=> CAST(s.`',
                REPLACE(column_name, '`', '``'), '` AS BINARY)'
            )
            ORDER BY ordinal_position SEPARATOR ' AND '
        ) AS equal_expression
    INTO v_cols, v_select, v_assign, v_equal
    FROM lead_archive_source_columns;

    -- Busy leads (archive only): each table only where it exists. LEADID stands for the
    -- lead_id column of the statement that uses the expression.
    IF p_direction = 'archive' THEN
        SELECT
            COALESCE(GROUP_CONCAT(
                CONCAT(
                    ' OR EXISTS (SELECT 1 FROM `', TABLE_NAME, '` AS b WHERE b.lead_id = LEADID',
                    IF(
                        TABLE_NAME = 'vicidial_callbacks',
                        ' AND b.status IN (''ACTIVE'', ''LIVE'')',
                        ''
                    ),
                    ')'
                )
                ORDER BY TABLE_NAME SEPARATOR ''
            ), '')
        INTO v_busy
        FROM information_schema.TABLES
        WHERE
            TABLE_SCHEMA = DATABASE()
            AND TABLE_NAME IN (
                'vicidial_hopper',
                'vicidial_auto_calls',
                'vicidial_live_agents',
                'vicidial_callbacks'
            );
    END IF;
    SET v_busy = CONCAT('(FALSE', v_busy, ')');

    -- Without transactions (MyISAM, Aria) nothing stops two calls from deleting the same
    -- lead between one's DELETE and its reading of what it deleted, and the counts would
    -- claim it twice: calls on such tables take one named lock, in turn. On InnoDB the row
    -- locks below do that and calls on disjoint leads run side by side.
    SELECT ENGINE INTO v_source_engine FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = v_source;
    SELECT ENGINE INTO v_target_engine FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = v_target;
    IF v_source_engine != 'InnoDB' OR v_target_engine != 'InnoDB' THEN
        SET v_lock_name = CONCAT('lead_archive_move.', DATABASE());
        IF NOT COALESCE(GET_LOCK(v_lock_name, 60), 0) THEN
            SIGNAL SQLSTATE '45000'
                SET
                MESSAGE_TEXT = 'database_unavailable: another call held the archive lock for 60 s';
        END IF;
        SET v_locked = TRUE;
    END IF;

    -- A transaction only when both lead tables are InnoDB: with GTIDs (MySQL 9's default) a
    -- transaction may not write a non-transactional table after a transactional one, and on
    -- MyISAM it would undo nothing anyway (each step is safe to re-run).
    -- READ COMMITTED: no gap locks, so calls inserting neighbouring new ids into the archive
    -- do not deadlock on the gap above its last row. The source rows are still locked FOR
    -- UPDATE below, which is what the verified delete needs. A server logging statements
    -- (binlog_format=STATEMENT) refuses READ COMMITTED writes on InnoDB: keep the default.
    IF NOT v_locked THEN
        IF NOT (@@GLOBAL.log_bin AND @@SESSION.binlog_format = 'STATEMENT') THEN
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
        END IF;
        START TRANSACTION;
        SET v_in_transaction = TRUE;
    END IF;

    -- Lock the source rows, then the target rows, in lead_id order (InnoDB; a plain read on
    -- MyISAM), counting how many of the requested ids each table holds.
    SELECT COUNT(*) INTO v_requested FROM lead_archive_request;
    SET @lead_archive_sql = CONCAT(
        'SELECT COUNT(*) INTO @lead_archive_n FROM `', v_source, '` ',
        'WHERE lead_id IN (SELECT lead_id FROM lead_archive_request) ORDER BY lead_id FOR UPDATE'
    );
    PREPARE lead_archive_stmt FROM @lead_archive_sql;
    EXECUTE lead_archive_stmt;
    SET v_found = @lead_archive_n;
    SET @lead_archive_sql = CONCAT(
        'SELECT COUNT(*) INTO @lead_archive_n FROM `', v_target, '` ',
        'WHERE lead_id IN (SELECT lead_id FROM lead_archive_request) ORDER BY lead_id FOR UPDATE'
    );
    PREPARE lead_archive_stmt FROM @lead_archive_sql;
    EXECUTE lead_archive_stmt;
    SET v_archived = @lead_archive_n;

    -- 3. every id must exist in the source (read only: nothing to undo when refused)
    IF v_found < v_requested THEN
        SET @lead_archive_sql = CONCAT(
            'SELECT COUNT(*), LEFT(GROUP_CONCAT(r.lead_id ORDER BY r.pos SEPARATOR '',''), 300) ',
            'INTO @lead_archive_n, @lead_archive_missing FROM lead_archive_request AS r ',
            'WHERE NOT EXISTS (SELECT 1 FROM `', v_source, '` AS s WHERE s.lead_id = r.lead_id)'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        SET @lead_archive_sql = CONCAT(
            'SELECT r.lead_id, EXISTS (SELECT 1 FROM `', v_target, '` AS t ',
            'WHERE t.lead_id = r.lead_id) AS already_archived FROM lead_archive_request AS r ',
            'WHERE NOT EXISTS (SELECT 1 FROM `', v_source, '` AS s WHERE s.lead_id = r.lead_id) ',
            'ORDER BY r.pos'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        SET v_message = CONCAT(
            'leads_not_found: ', @lead_archive_n, ' specified lead_ids do not exist in ',
            v_source, ': ', @lead_archive_missing
        );
        -- MySQL refuses a MESSAGE_TEXT over 128 characters; the result set has every id
        SET v_message = IF(
            CHAR_LENGTH(v_message) > 128, CONCAT(LEFT(v_message, 125), '...'), v_message
        );
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
    IF v_archived > 0 THEN
        SET @lead_archive_sql = CONCAT(
            'UPDATE lead_archive_request AS r SET r.in_target = EXISTS ',
            '(SELECT 1 FROM `', v_target, '` AS t WHERE t.lead_id = r.lead_id)'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
    END IF;

    -- 4. insert: leads not yet in the target. IGNORE only covers a row that a concurrent call
    -- inserted meanwhile: the guard has proven every value fits the target unchanged.
    IF p_insert THEN
        SET @lead_archive_sql = CONCAT(
            'INSERT IGNORE INTO `', v_target, '` (', v_cols, ') ',
            'SELECT ', v_select, ' FROM `', v_source, '` AS s ',
            'INNER JOIN lead_archive_request AS r ON r.lead_id = s.lead_id ',
            'WHERE r.in_target = 0 ORDER BY s.lead_id'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        UPDATE lead_archive_request SET inserted = 1
        WHERE in_target = 0;
    END IF;

    -- 5. update: rewrite target rows that were there already and differ byte for byte.
    -- Every column is assigned, modify_date included, so ON UPDATE cannot rewrite it.
    IF p_update AND v_archived > 0 THEN
        SET @lead_archive_sql = CONCAT(
            'UPDATE lead_archive_request AS r ',
            'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
            'INNER JOIN `', v_source, '` AS s ON s.lead_id = r.lead_id ',
            'SET r.updated = 1 WHERE r.in_target = 1 AND NOT (', v_equal, ')'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        SET @lead_archive_sql = CONCAT(
            'UPDATE `', v_target, '` AS t ',
            'INNER JOIN `', v_source, '` AS s ON s.lead_id = t.lead_id ',
            'INNER JOIN lead_archive_request AS r ON r.lead_id = t.lead_id ',
            'SET ', v_assign, ' WHERE r.updated = 1 AND NOT (', v_equal, ')'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
    END IF;

    -- 6. delete: one statement; the comparison and the delete see the same row.
    IF p_delete THEN
        SET @lead_archive_sql = CONCAT(
            'DELETE s FROM `', v_source, '` AS s ',
            'INNER JOIN lead_archive_request AS r ON r.lead_id = s.lead_id ',
            'INNER JOIN `', v_target, '` AS t ON t.lead_id = s.lead_id ',
            'WHERE ', v_equal, ' AND NOT ', REPLACE(v_busy, 'LEADID', 's.lead_id')
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        IF ROW_COUNT() = v_requested THEN
            UPDATE lead_archive_request SET deleted = 1;
        ELSE
            SET @lead_archive_sql = CONCAT(
                'UPDATE lead_archive_request AS r SET r.deleted = NOT EXISTS ',
                '(SELECT 1 FROM `', v_source, '` AS s WHERE s.lead_id = r.lead_id)'
            );
            PREPARE lead_archive_stmt FROM @lead_archive_sql;
            EXECUTE lead_archive_stmt;
            SET @lead_archive_sql = CONCAT(
                'UPDATE lead_archive_request AS r SET r.reason = CASE ',
                'WHEN NOT EXISTS (SELECT 1 FROM `', v_target, '` AS t ',
                'WHERE t.lead_id = r.lead_id) THEN ''not_archived'' ',
                'WHEN ', REPLACE(v_busy, 'LEADID', 'r.lead_id'), ' THEN ''busy'' ',
                'ELSE ''mismatch'' END WHERE r.deleted = 0'
            );
            PREPARE lead_archive_stmt FROM @lead_archive_sql;
            EXECUTE lead_archive_stmt;
        END IF;
    END IF;
    DEALLOCATE PREPARE lead_archive_stmt;
    -- What this call did is known: the next call may start while this one writes its audit.
    IF v_locked THEN
        DO RELEASE_LOCK(v_lock_name);
        SET v_locked = FALSE;
    END IF;

    INSERT INTO lead_archive_audit (
        operation, actor, db_account, request_id,
        insert_leads, update_leads, delete_leads, lead_ids,
        select_count, insert_count, update_count, delete_count, kept_count
    )
    SELECT
        p_direction AS operation,
        COALESCE(p_actor, v_db_account) AS actor,
        v_db_account AS db_account,
        p_request_id AS request_id,
        p_insert AS insert_leads,
        p_update AS update_leads,
        p_delete AS delete_leads,
        p_lead_ids AS lead_ids,
        COUNT(*) AS select_count,
        COALESCE(SUM(inserted), 0) AS insert_count,
        COALESCE(SUM(updated), 0) AS update_count,
        COALESCE(SUM(deleted), 0) AS delete_count,
        COALESCE(SUM(reason IS NOT NULL), 0) AS kept_count
    FROM lead_archive_request;

    COMMIT;
    SET SESSION group_concat_max_len = v_group_concat_max_len;

    SELECT
        lead_id,
        inserted,
        updated,
        deleted,
        reason
    FROM lead_archive_request
    ORDER BY pos;
END//
DELIMITER ;
