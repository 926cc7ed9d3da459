-- lead_archive_move: the one verified move behind archive_leads and dearchive_leads.
--
--   p_direction 'archive':   vicidial_list -> vicidial_list_archive, update step allowed,
--                            busy leads are never deleted
--   p_direction 'dearchive': vicidial_list_archive -> vicidial_list, no update step
--
-- Steps, each one statement, each safe to re-run (MyISAM has no rollback):
--   0. a CALL inside an open transaction of the caller is refused (caller_in_transaction)
--   1. parse and validate the id list       (lead_archive_parse_ids)
--   2. schema guard                          (lead_archive_guard), and no TEMPORARY table of the
--      session may hide a table the call reads or writes (the audit, the busy tables)
--   3. every id must exist in the source
--   4. insert: copy leads absent from the target; a row the insert skipped (another unique
--      key, a CHECK constraint, no partition for the id) is not reported as inserted
--   5. update: rewrite target rows that differ byte for byte (archive only); a row the update
--      skipped is not reported as updated
--   6. delete: ONE statement deleting source rows whose target row is identical on every
--      column of the source and that are not busy
-- Compared byte for byte: CAST(... AS BINARY) <=> (NULL-safe; case, trailing spaces and accents
-- count), FLOAT and DOUBLE also by value (their text is rounded); the call runs with
-- time_zone '+00:00', so a TIMESTAMP compares and copies as its instant.
-- Reused ids: a target row with the same lead_id but another entry_date (NULL-safe) is another
-- lead; it is never updated over and the lead is never deleted: reason 'id_conflict' (set
-- whatever the flags, since the lead can be neither updated nor deleted).
-- Busy (archive only): lead_archive_busy.
-- A refused call raises SQLSTATE 45000 with MESSAGE_TEXT '<code>: <text>' before any write.
-- leads_not_found and schema_mismatch first return a result set with the details.
-- On InnoDB the call is one transaction; rows are locked in lead_id order. Error 1213
-- (deadlock) leaves nothing behind and the call may simply be repeated.
--
-- Session: the call leaves the caller's session as it found it, refused or not. For its
-- duration it sets autocommit=1, time_zone='+00:00', sql_safe_updates=0, sql_big_selects=1,
-- completion_type=NO_CHAIN, group_concat_max_len, max_heap_table_size, and the isolation level
-- of its own transaction. It uses the temporary tables lead_archive_request,
-- lead_archive_source_columns, lead_archive_target_columns, lead_archive_problems (never a
-- caller's table of the same name: lead_archive_work_reclaim), for an instant an empty MEMORY
-- table named like each table it uses (lead_archive_shadowed), the user variable
-- @lead_archive_sql (PREPARE needs one on MySQL) and the prepared statement lead_archive_stmt.
-- On the way out it drops the tables and the statement and restores the variable, the
-- settings and LAST_INSERT_ID(). A call killed mid-way (KILL QUERY, max_statement_time) cannot
-- clean up: its working tables are dropped by the next call, its settings stay in that
-- session.
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
    DECLARE v_entry_date BOOLEAN DEFAULT FALSE;
    DECLARE v_count INT;
    DECLARE v_requested INT;
    DECLARE v_found INT;
    DECLARE v_archived INT;
    DECLARE v_conflicts INT DEFAULT 0;
    DECLARE v_message TEXT;
    DECLARE v_source_engine VARCHAR(64);
    DECLARE v_target_engine VARCHAR(64);
    DECLARE v_locked BOOLEAN DEFAULT FALSE;
    DECLARE v_lock_name VARCHAR(128);
    DECLARE v_in_transaction BOOLEAN DEFAULT FALSE;
    DECLARE v_isolation_set BOOLEAN DEFAULT FALSE;
    DECLARE v_session_changed BOOLEAN DEFAULT FALSE;
    -- read once into a variable: a replica then logs the value, not the function
    DECLARE v_db_account VARCHAR(255) DEFAULT SESSION_USER();
    -- the caller's clock, before the call moves the session to '+00:00'
    DECLARE v_called_at DATETIME(3) DEFAULT NOW(3);
    -- the caller's session, restored on every way out
    DECLARE v_autocommit BIGINT DEFAULT @@SESSION.autocommit;
    DECLARE v_completion_type VARCHAR(16) DEFAULT @@SESSION.completion_type;
    DECLARE v_time_zone VARCHAR(64) DEFAULT @@SESSION.time_zone;
    DECLARE v_sql_safe_updates BIGINT DEFAULT @@SESSION.sql_safe_updates;
    DECLARE v_sql_big_selects BIGINT DEFAULT @@SESSION.sql_big_selects;
    DECLARE v_group_concat_max_len BIGINT UNSIGNED DEFAULT @@SESSION.group_concat_max_len;
    DECLARE v_max_heap_table_size BIGINT UNSIGNED DEFAULT @@SESSION.max_heap_table_size;
    DECLARE v_room BIGINT UNSIGNED;
    DECLARE v_last_insert_id BIGINT UNSIGNED DEFAULT LAST_INSERT_ID();
    DECLARE v_user_sql LONGTEXT DEFAULT @lead_archive_sql;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        -- Nothing here may fail: RESIGNAL must pass on the caller's condition.
        IF v_in_transaction THEN
            ROLLBACK;
        ELSEIF v_isolation_set THEN
            -- the isolation level set for the call's own transaction would otherwise apply
            -- to the caller's next one: an empty transaction takes it
            START TRANSACTION;
            COMMIT;
        END IF;
        IF v_locked THEN
            DO RELEASE_LOCK(v_lock_name);
        END IF;
        IF v_session_changed THEN
            BEGIN
                DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
                DEALLOCATE PREPARE lead_archive_stmt;
            END;
            BEGIN
                DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
                CALL lead_archive_work_drop();
            END;
            SET SESSION time_zone = v_time_zone;
            SET SESSION sql_safe_updates = v_sql_safe_updates;
            SET SESSION sql_big_selects = v_sql_big_selects;
            SET SESSION group_concat_max_len = v_group_concat_max_len;
            SET SESSION max_heap_table_size = v_max_heap_table_size;
            SET SESSION completion_type = v_completion_type;
            SET SESSION autocommit = v_autocommit;
        END IF;
        SET @lead_archive_sql = v_user_sql;
        DO LAST_INSERT_ID(v_last_insert_id);
        RESIGNAL;
    END;

    -- 0. A call inside the caller's open transaction would commit it (START TRANSACTION below)
    -- or fail half way: refused before anything else. SET TRANSACTION fails with error 1568
    -- exactly while the session has a multi-statement transaction open, which is what
    -- MariaDB's @@in_transaction reports. MySQL has no such variable;
    -- information_schema.INNODB_TRX misses a transaction that has not touched InnoDB yet and
    -- performance_schema may be off. SET TRANSACTION works on both, needs no privilege and
    -- writes nothing; it also sets the isolation level of the call's own transaction (below).
    BEGIN
        DECLARE EXIT HANDLER FOR 1568
            SIGNAL SQLSTATE '45000'
                SET
                MESSAGE_TEXT = 'caller_in_transaction: COMMIT or ROLLBACK before the CALL';
        IF @@GLOBAL.log_bin AND @@SESSION.binlog_format = 'STATEMENT' THEN
            SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
        ELSE
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
        END IF;
    END;
    SET v_isolation_set = TRUE;

    -- The session as the call needs it, whatever the caller set: no implicit transaction
    -- (autocommit=0), TIMESTAMPs as instants, UPDATE/DELETE by join, no join size limit, room
    -- for the working tables, a COMMIT that neither chains a new transaction nor disconnects.
    SET v_session_changed = TRUE;
    SET SESSION completion_type = 'NO_CHAIN';
    SET SESSION autocommit = 1;
    SET SESSION time_zone = '+00:00';
    SET SESSION sql_safe_updates = 0;
    SET SESSION sql_big_selects = 1;
    SET SESSION group_concat_max_len = 1048576;
    -- through a variable: MySQL refuses GREATEST()'s type for an integer setting
    SET v_room = GREATEST(v_max_heap_table_size, 16777216);
    SET SESSION max_heap_table_size = v_room;

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

    -- 2. the schema guard, then every other table the call reads or writes: none may be
    -- hidden by a temporary table of the session (the busy tables: lead_archive_busy). LEADID
    -- in v_busy stands for the lead_id column of the statement using the expression.
    CALL lead_archive_guard(v_source, v_target);
    CALL lead_archive_shadowed('lead_archive_audit');
    IF p_direction = 'archive' THEN
        CALL lead_archive_busy(v_busy);
    END IF;
    SET v_busy = CONCAT('(FALSE', v_busy, ')');

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
    -- copied and compared too. A column the target generates is compared, never written.
    -- FLOAT and DOUBLE render rounded (1.234568 and 1.234567 as FLOAT both read 1.23457):
    -- compared by value as well; the text keeps -0 apart from 0. ENUM and SET also by their
    -- number: an ENUM's error value (0) reads '' like a member ''.
    SELECT
        GROUP_CONCAT(
            IF(copied, CONCAT('`', REPLACE(column_name, '`', '``'), '`'), NULL)
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS column_list,
        GROUP_CONCAT(
            IF(copied, CONCAT('s.`', REPLACE(column_name, '`', '``'), '`'), NULL)
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS select_list,
        GROUP_CONCAT(
            IF(
                copied,
                CONCAT(
                    't.`', REPLACE(column_name, '`', '``'), '` = s.`',
                    REPLACE(column_name, '`', '``'), '`'
                ),
                NULL
            )
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS assign_list,
        GROUP_CONCAT(
            CONCAT(
                IF(
                    data_type IN ('float', 'double'),
                    CONCAT(
                        't.`', REPLACE(column_name, '`', '``'), '` <=> s.`',
                        REPLACE(column_name, '`', '``'), '` AND '
                    ),
                    ''
                ),
                IF(
                    data_type IN ('enum', 'set'),
                    CONCAT(
                        't.`', REPLACE(column_name, '`', '``'), '` + 0 <=> s.`',
                        REPLACE(column_name, '`', '``'), '` + 0 AND '
                    ),
                    ''
                ),
                'CAST(t.`', REPLACE(column_name, '`', '``'), '` AS BINARY) <=> CAST(s.`',
                REPLACE(column_name, '`', '``'), '` AS BINARY)'
            )
            ORDER BY ordinal_position SEPARATOR ' AND '
        ) AS equal_expression,
        COALESCE(MAX(copied AND column_name = 'entry_date'), FALSE) AS has_entry_date
    INTO v_cols, v_select, v_assign, v_equal, v_entry_date
    FROM lead_archive_source_columns;

    -- Without transactions (MyISAM, Aria) nothing stops two calls from deleting the same
    -- lead between one's DELETE and its reading of what it deleted, and the counts would
    -- claim it twice: calls on such tables take one named lock, in turn. On InnoDB the row
    -- locks below do that and calls on disjoint leads run side by side.
    SELECT ENGINE INTO v_source_engine FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = v_source AND TABLE_TYPE != 'TEMPORARY';
    SELECT ENGINE INTO v_target_engine FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = v_target AND TABLE_TYPE != 'TEMPORARY';
    IF NOT (v_source_engine <=> 'InnoDB' AND v_target_engine <=> 'InnoDB') THEN
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
    -- (binlog_format=STATEMENT) refuses READ COMMITTED writes on InnoDB: REPEATABLE READ there.
    -- Set again here: only START TRANSACTION is sure to take it (MySQL resets it after each
    -- statement outside a transaction).
    IF NOT v_locked THEN
        IF @@GLOBAL.log_bin AND @@SESSION.binlog_format = 'STATEMENT' THEN
            SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
        ELSE
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
        END IF;
        START TRANSACTION;
        SET v_in_transaction = TRUE;
        SET v_isolation_set = FALSE;
    END IF;

    -- Lock the source rows, then the target rows, in lead_id order (InnoDB; a plain read on
    -- MyISAM), counting how many of the requested ids each table holds.
    SELECT COUNT(*) INTO v_requested FROM lead_archive_request;
    -- A prepared statement sees no local variable: its results come back through the one
    -- user variable the call uses, @lead_archive_sql, once its text has been prepared.
    SET @lead_archive_sql = CONCAT(
        'SELECT COUNT(*) INTO @lead_archive_sql FROM `', v_source, '` ',
        'WHERE lead_id IN (SELECT lead_id FROM lead_archive_request) ORDER BY lead_id FOR UPDATE'
    );
    PREPARE lead_archive_stmt FROM @lead_archive_sql;
    EXECUTE lead_archive_stmt;
    SET v_found = @lead_archive_sql;
    SET @lead_archive_sql = CONCAT(
        'SELECT COUNT(*) INTO @lead_archive_sql FROM `', v_target, '` ',
        'WHERE lead_id IN (SELECT lead_id FROM lead_archive_request) ORDER BY lead_id FOR UPDATE'
    );
    PREPARE lead_archive_stmt FROM @lead_archive_sql;
    EXECUTE lead_archive_stmt;
    SET v_archived = @lead_archive_sql;

    -- 3. every id must exist in the source (read only: nothing to undo when refused)
    IF v_found < v_requested THEN
        SET @lead_archive_sql = CONCAT(
            'SELECT LEFT(GROUP_CONCAT(r.lead_id ORDER BY r.pos SEPARATOR '',''), 300) ',
            'INTO @lead_archive_sql FROM lead_archive_request AS r ',
            'WHERE NOT EXISTS (SELECT 1 FROM `', v_source, '` AS s WHERE s.lead_id = r.lead_id)'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        SET v_message = @lead_archive_sql;
        SET @lead_archive_sql = CONCAT(
            'SELECT r.lead_id, EXISTS (SELECT 1 FROM `', v_target, '` AS t ',
            'WHERE t.lead_id = r.lead_id) AS already_archived FROM lead_archive_request AS r ',
            'WHERE NOT EXISTS (SELECT 1 FROM `', v_source, '` AS s WHERE s.lead_id = r.lead_id) ',
            'ORDER BY r.pos'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        SET v_message = CONCAT(
            'leads_not_found: ', v_requested - v_found, ' specified lead_ids do not exist in ',
            v_source, ': ', v_message
        );
        -- MySQL refuses a MESSAGE_TEXT over 128 characters; the result set has every id
        SET v_message = IF(
            CHAR_LENGTH(v_message) > 128, CONCAT(LEFT(v_message, 125), '...'), v_message
        );
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    -- Which leads the target holds already, and which of those are another lead under the
    -- same id (another entry_date, NULL-safe): those are neither updated over nor deleted.
    IF v_archived > 0 THEN
        SET @lead_archive_sql = CONCAT(
            'UPDATE lead_archive_request AS r ',
            'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
            'INNER JOIN `', v_source, '` AS s ON s.lead_id = r.lead_id ',
            'SET r.in_target = 1',
            IF(
                v_entry_date,
                CONCAT(
                    ', r.id_conflict = NOT (CAST(t.entry_date AS BINARY) <=> ',
                    'CAST(s.entry_date AS BINARY))'
                ),
                ''
            )
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        IF v_entry_date THEN
            UPDATE lead_archive_request SET reason = 'id_conflict'
            WHERE id_conflict = 1;
            SET v_conflicts = ROW_COUNT();
        END IF;
    END IF;

    -- 4. insert: leads not yet in the target. IGNORE keeps one row that cannot go in (a
    -- concurrent writer's row with that id, another unique key, a CHECK constraint, no
    -- partition for the id) from stopping the others; such a row is then not reported as
    -- inserted, and a delete keeps that lead as not_archived.
    IF p_insert AND v_archived < v_requested THEN
        SET @lead_archive_sql = CONCAT(
            'INSERT IGNORE INTO `', v_target, '` (', v_cols, ') ',
            'SELECT ', v_select, ' FROM `', v_source, '` AS s ',
            'INNER JOIN lead_archive_request AS r ON r.lead_id = s.lead_id ',
            'WHERE r.in_target = 0 ORDER BY s.lead_id'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        -- read back, never from ROW_COUNT(): a trigger of the target may have filed a row
        -- under another id, and the count would still match
        SET @lead_archive_sql = CONCAT(
            'UPDATE lead_archive_request AS r ',
            'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
            'SET r.inserted = 1 WHERE r.in_target = 0'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
    END IF;

    -- 5. update: rewrite target rows that were there already and differ byte for byte.
    -- Every copied column is assigned, modify_date included, so ON UPDATE cannot rewrite it.
    -- IGNORE as for the insert: a row the update could not write still differs afterwards and
    -- is then not reported as updated.
    IF p_update AND v_archived > v_conflicts THEN
        SET @lead_archive_sql = CONCAT(
            'UPDATE lead_archive_request AS r ',
            'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
            'INNER JOIN `', v_source, '` AS s ON s.lead_id = r.lead_id ',
            'SET r.updated = 1 WHERE r.in_target = 1 AND r.id_conflict = 0 AND NOT (',
            v_equal, ')'
        );
        PREPARE lead_archive_stmt FROM @lead_archive_sql;
        EXECUTE lead_archive_stmt;
        IF ROW_COUNT() > 0 THEN
            SET @lead_archive_sql = CONCAT(
                'UPDATE IGNORE `', v_target, '` AS t ',
                'INNER JOIN `', v_source, '` AS s ON s.lead_id = t.lead_id ',
                'INNER JOIN lead_archive_request AS r ON r.lead_id = t.lead_id ',
                'SET ', v_assign, ' WHERE r.updated = 1 AND NOT (', v_equal, ')'
            );
            PREPARE lead_archive_stmt FROM @lead_archive_sql;
            EXECUTE lead_archive_stmt;
            SET @lead_archive_sql = CONCAT(
                'UPDATE lead_archive_request AS r ',
                'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
                'INNER JOIN `', v_source, '` AS s ON s.lead_id = r.lead_id ',
                'SET r.updated = 0 WHERE r.updated = 1 AND NOT (', v_equal, ')'
            );
            PREPARE lead_archive_stmt FROM @lead_archive_sql;
            EXECUTE lead_archive_stmt;
        END IF;
    END IF;

    -- 6. delete: one statement; the comparison and the delete see the same row.
    IF p_delete THEN
        SET @lead_archive_sql = CONCAT(
            'DELETE s FROM `', v_source, '` AS s ',
            'INNER JOIN lead_archive_request AS r ON r.lead_id = s.lead_id ',
            'INNER JOIN `', v_target, '` AS t ON t.lead_id = s.lead_id ',
            'WHERE r.id_conflict = 0 AND ', v_equal,
            ' AND NOT ', REPLACE(v_busy, 'LEADID', 's.lead_id')
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
                'ELSE ''mismatch'' END WHERE r.deleted = 0 AND r.reason IS NULL'
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
        called_at, operation, actor, db_account, request_id,
        insert_leads, update_leads, delete_leads, lead_ids,
        select_count, insert_count, update_count, delete_count, kept_count
    )
    SELECT
        v_called_at AS called_at,
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

    IF v_in_transaction THEN
        COMMIT;
        SET v_in_transaction = FALSE;
    ELSE
        -- no transaction was opened (MyISAM, Aria): an empty one takes the isolation level set
        -- at step 0, which would otherwise apply to the caller's next transaction
        START TRANSACTION;
        COMMIT;
    END IF;
    SET v_isolation_set = FALSE;

    SELECT
        lead_id,
        inserted,
        updated,
        deleted,
        reason
    FROM lead_archive_request
    ORDER BY pos;

    DROP TEMPORARY TABLE lead_archive_request, lead_archive_source_columns,
    lead_archive_target_columns, lead_archive_problems;
    SET @lead_archive_sql = v_user_sql;
    DO LAST_INSERT_ID(v_last_insert_id);
    SET SESSION time_zone = v_time_zone;
    SET SESSION sql_safe_updates = v_sql_safe_updates;
    SET SESSION sql_big_selects = v_sql_big_selects;
    SET SESSION group_concat_max_len = v_group_concat_max_len;
    SET SESSION max_heap_table_size = v_max_heap_table_size;
    SET SESSION completion_type = v_completion_type;
    SET SESSION autocommit = v_autocommit;
END//
DELIMITER ;
