-- lead_archive_move_core: the one definition of the move behind archive_leads, dearchive_leads,
-- their _plan siblings, lead_archive_gateway_move and lead_archive_explain.
--
--   p_mode 'run':     do it (lead_archive_move)
--   p_mode 'plan':    the same checks and refusals and the same result set, nothing written:
--                     no lead table, no audit row (archive_leads_plan, dearchive_leads_plan)
--   p_mode 'explain': the statements a run would send to the lead tables, recorded in the
--                     session's table lead_archive_explain, none run (lead_archive_explain)
--   p_direction 'archive':   vicidial_list -> vicidial_list_archive, update step allowed,
--                            busy leads are never deleted
--   p_direction 'dearchive': vicidial_list_archive -> vicidial_list, no update step
--   p_lock_ms (OUT): the longest a single statement of this call held vicidial_list, in ms
--
-- Classify, then act. Steps (MyISAM has no rollback: each is safe to re-run):
--   0. a CALL inside an open transaction of the caller is refused (caller_in_transaction)
--   1. parse and validate the id list       (lead_archive_parse_ids, at most c_max_leads ids)
--   2. schema guard                          (lead_archive_guard), and no TEMPORARY table of the
--      session may hide a table the call reads or writes (the audit, the busy tables)
--   3. read: ONE short read of the batch from the source into lead_archive_copy (a session
--      table without the source's secondary indexes; FOR UPDATE on InnoDB); every id must be
--      there (leads_not_found)
--   4. classify: one statement compares the copy with the target: in_target, id_conflict,
--      differs (and, for a plan, busy)
--   5. insert: copy leads absent from the target, from lead_archive_copy; a row the insert
--      skipped (another unique key, a CHECK constraint, no partition for the id) is not
--      reported as inserted
--   6. update: rewrite target rows that differ byte for byte (archive only), from the copy; a
--      row the update skipped is not reported as updated
--   7. delete: the verified DELETE compares the source row as it is at delete time with the
--      target row as it is, and skips busy leads; on MyISAM/Aria in chunks of c_step ids (a
--      table lock is held per statement, and the dialer's wait grows with its length), on
--      InnoDB in one statement of the call's one transaction, the busy leads marked by the
--      statement just before it (see there why that is as strict as InnoDB allows)
-- Steps 3-7 read the source at step 3 and at step 7 only; steps 5 and 6 never read it.
-- Compared byte for byte: CAST(... AS BINARY) <=> (NULL-safe; case, trailing spaces and accents
-- count; strings by CONVERT(... USING binary), which no max_allowed_packet turns into NULL),
-- FLOAT and DOUBLE also by value (their text is rounded); the call runs with time_zone
-- '+00:00', so a TIMESTAMP compares and copies as its instant.
-- Reused ids: a target row with the same lead_id but another entry_date (NULL-safe) is another
-- lead; it is never updated over and the lead is never deleted: reason 'id_conflict' (set
-- whatever the flags, since the lead can be neither updated nor deleted).
-- Busy (archive only): lead_archive_busy.
-- A refused call raises SQLSTATE 45000 with MESSAGE_TEXT '<code>: <text>' before any write.
-- leads_not_found and schema_mismatch first return a result set with the details.
-- On InnoDB a run is one transaction; rows are locked in lead_id order. Error 1213
-- (deadlock) leaves nothing behind and the call may simply be repeated.
--
-- Session: the call leaves the caller's session as it found it, refused or not. For its
-- duration it sets autocommit=1, time_zone='+00:00', sql_safe_updates=0, sql_big_selects=1,
-- completion_type=NO_CHAIN, group_concat_max_len, max_heap_table_size, and the isolation level
-- of its own transaction;
-- it uses the temporary tables lead_archive_request, lead_archive_copy,
-- lead_archive_source_columns, lead_archive_target_columns, lead_archive_problems (never a
-- caller's table of the same name: lead_archive_work_reclaim), the user variable
-- @lead_archive_sql and the prepared statement lead_archive_stmt (lead_archive_run). On the way
-- out it drops the tables and restores the variable, the settings and LAST_INSERT_ID(). A
-- call killed mid-way (KILL QUERY, max_statement_time) cannot clean up: its working tables are
-- dropped by the next call, its settings stay in that session.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_move_core;

DELIMITER //
CREATE PROCEDURE lead_archive_move_core (
    IN p_mode VARCHAR(16),
    IN p_direction VARCHAR(16),
    IN p_actor VARCHAR(128),
    IN p_request_id VARCHAR(64),
    IN p_lead_ids LONGTEXT,
    IN p_insert BOOLEAN,
    IN p_update BOOLEAN,
    IN p_delete BOOLEAN,
    OUT p_lock_ms DECIMAL(12, 3)
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    -- The named limits: ids per call (gateway/contract.py MAX_LEADS), and ids per statement
    -- that holds a MyISAM table lock on the lead tables. Each statement has a fixed cost on
    -- top of its rows (MyISAM writes back the index blocks it changed when it unlocks, and
    -- the busy tables are opened and locked), so smaller steps hold vicidial_list longer per
    -- lead: a call's ids in two statements cost 12 % more than in one, in five 26 % more
    -- (1M rows, MariaDB 10.11); two halve the longest hold. The bulk client's --max-lock-ms
    -- shortens the hold further by sending smaller calls.
    DECLARE c_max_leads INT DEFAULT 500;
    DECLARE c_step INT DEFAULT 250;
    DECLARE v_run BOOLEAN DEFAULT (p_mode = 'run');
    DECLARE v_explain BOOLEAN DEFAULT (p_mode = 'explain');
    DECLARE v_source VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci;
    DECLARE v_target VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci;
    DECLARE v_source_is_list BOOLEAN;
    DECLARE v_all LONGTEXT;
    DECLARE v_cols LONGTEXT;
    DECLARE v_select LONGTEXT;
    DECLARE v_assign LONGTEXT;
    DECLARE v_equal LONGTEXT;
    DECLARE v_busy LONGTEXT DEFAULT '';
    DECLARE v_delete_busy LONGTEXT;
    DECLARE v_target_triggered BOOLEAN DEFAULT FALSE;
    DECLARE v_conflict LONGTEXT DEFAULT 'FALSE';
    DECLARE v_entry_date BOOLEAN DEFAULT FALSE;
    DECLARE v_blobs BOOLEAN DEFAULT FALSE;
    DECLARE v_row_bytes BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_copy_engine VARCHAR(64);
    DECLARE v_count INT;
    DECLARE v_rows BIGINT;
    DECLARE v_done BIGINT;
    DECLARE v_requested INT;
    DECLARE v_found INT;
    DECLARE v_archived INT DEFAULT 0;
    DECLARE v_differs INT DEFAULT 0;
    DECLARE v_candidates INT;
    DECLARE v_from INT;
    DECLARE v_step INT;
    DECLARE v_message TEXT;
    DECLARE v_innodb BOOLEAN;
    DECLARE v_taken BOOLEAN DEFAULT FALSE;
    DECLARE v_locked BOOLEAN DEFAULT FALSE;
    DECLARE v_lock_name VARCHAR(128);
    DECLARE v_in_transaction BOOLEAN DEFAULT FALSE;
    DECLARE v_isolation_set BOOLEAN DEFAULT FALSE;
    DECLARE v_session_changed BOOLEAN DEFAULT FALSE;
    -- the longest hold of vicidial_list so far, in microseconds
    DECLARE v_started DATETIME(6);
    DECLARE v_max_us BIGINT DEFAULT 0;
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

    IF p_mode NOT IN ('run', 'plan', 'explain') OR p_mode IS NULL THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'internal_error: mode must be run, plan or explain';
    END IF;
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
    -- A read-only server (a replica, a primary in maintenance) refuses the writes of its
    -- ordinary accounts but not those of a definer with SUPER or READ ONLY ADMIN, which these
    -- procedures run as: a gateway pointed at a replica would archive there alone, and the
    -- replica would no longer match its primary. The check is the procedure's own.
    IF v_run AND CAST(@@GLOBAL.read_only AS CHAR) NOT IN ('0', 'OFF') THEN
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'database_unavailable: the server is read_only (a replica?)';
    END IF;
    SET v_source_is_list = (v_source = 'vicidial_list');
    SET p_insert = COALESCE(p_insert, FALSE);
    SET p_update = COALESCE(p_update, FALSE);
    SET p_delete = COALESCE(p_delete, FALSE);

    -- 1. the id list
    CALL lead_archive_parse_ids(p_lead_ids, c_max_leads);

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

    -- The quoted column lists, computed once per call from the source's columns as the guard
    -- read them now: a column added later is copied and compared too. A column the target
    -- generates is compared, never written. FLOAT and DOUBLE render rounded (1.234568 and
    -- 1.234567 as FLOAT both read 1.23457): compared by value as well; the text keeps -0
    -- apart from 0.
    SELECT
        GROUP_CONCAT(
            CONCAT('`', REPLACE(column_name, '`', '``'), '`')
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS all_list,
        GROUP_CONCAT(
            IF(copied, CONCAT('`', REPLACE(column_name, '`', '``'), '`'), NULL)
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS column_list,
        GROUP_CONCAT(
            IF(copied, CONCAT('c.`', REPLACE(column_name, '`', '``'), '`'), NULL)
            ORDER BY ordinal_position SEPARATOR ', '
        ) AS select_list,
        GROUP_CONCAT(
            IF(
                copied,
                CONCAT(
                    't.`', REPLACE(column_name, '`', '``'), '` = c.`',
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
                -- ENUM and SET also by their number: an ENUM's error value (0) reads '' like
                -- a member ''
                IF(
                    data_type IN ('enum', 'set'),
                    CONCAT(
                        't.`', REPLACE(column_name, '`', '``'), '` + 0 <=> s.`',
                        REPLACE(column_name, '`', '``'), '` + 0 AND '
                    ),
                    ''
                ),
                -- Strings by CONVERT(... USING binary), the same bytes: MariaDB's CAST of a
                -- value longer than max_allowed_packet (lowered after it was written: a
                -- MEDIUMTEXT of 3 MB, or a wide VARCHAR under a small packet) is NULL in a
                -- WHERE, and NULL <=> NULL let the delete take a lead whose text differed
                IF(
                    data_type IN ('char', 'varchar', 'binary', 'varbinary')
                    OR data_type LIKE '%text' OR data_type LIKE '%blob',
                    CONCAT(
                        'CONVERT(t.`', REPLACE(column_name, '`', '``'),
                        '` USING binary) <=> CONVERT(s.`',
                        REPLACE(column_name, '`', '``'), '` USING binary)'
                    ),
                    CONCAT(
                        'CAST(t.`', REPLACE(column_name, '`', '``'), '` AS BINARY) <=> CAST(s.`',
                        REPLACE(column_name, '`', '``'), '` AS BINARY)'
                    )
                )
            )
            ORDER BY ordinal_position SEPARATOR ' AND '
        ) AS equal_expression,
        COALESCE(MAX(copied AND column_name = 'entry_date'), FALSE) AS has_entry_date,
        COALESCE(MAX(data_type LIKE '%text' OR data_type LIKE '%blob' OR data_type IN (
            'json', 'geometry', 'point', 'linestring', 'polygon', 'multipoint',
            'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection', 'vector'
        )), FALSE) AS has_blobs,
        -- a row of the copy in memory, at most: a string at its full width and its length,
        -- any other value in 32 bytes (DECIMAL(65) takes 30), and the row's own overhead
        64 + COALESCE(SUM(COALESCE(octet_length + 2, 32)), 0) AS row_bytes
    INTO v_all, v_cols, v_select, v_assign, v_equal, v_entry_date, v_blobs, v_row_bytes
    FROM lead_archive_source_columns;
    IF v_entry_date THEN
        SET v_conflict = 'NOT (CAST(t.entry_date AS BINARY) <=> CAST(s.entry_date AS BINARY))';
    END IF;

    -- Without transactions (MyISAM, Aria) nothing stops two calls from deleting the same
    -- lead between one's DELETE and its reading of what it deleted, and the counts would
    -- claim it twice: runs on such tables take one named lock, in turn. On InnoDB the row
    -- locks below do that and runs on disjoint leads go side by side. A plan takes no lock.
    SELECT COALESCE(SUM(ENGINE = 'InnoDB'), 0) = 2 INTO v_innodb
    FROM information_schema.TABLES
    WHERE
        TABLE_SCHEMA = DATABASE()
        AND TABLE_NAME IN (v_source, v_target)
        AND TABLE_TYPE != 'TEMPORARY';
    IF v_run AND NOT v_innodb THEN
        SET v_lock_name = CONCAT('lead_archive_move.', DATABASE());
        IF NOT COALESCE(GET_LOCK(v_lock_name, 60), 0) THEN
            SIGNAL SQLSTATE '45000'
                SET
                MESSAGE_TEXT = 'database_unavailable: another call held the archive lock for 60 s';
        END IF;
        SET v_locked = TRUE;
    END IF;
    SET v_step = IF(v_innodb, c_max_leads, c_step);

    -- The copy of the batch: the source's columns and types, lead_id as its only key. In
    -- memory (written inside an InnoDB run's transaction like lead_archive_request: a session
    -- table nothing needs to roll back; the read into it costs a third less than into an
    -- InnoDB table) unless a column needs BLOB storage, or the batch's rows, each as wide as
    -- its columns allow (MEMORY keeps a VARCHAR at its full width), could fill more than half
    -- of max_heap_table_size (the table would be full, error 1114): then MyISAM, or InnoDB
    -- when the lead tables are (with GTIDs MySQL refuses a transaction that writes MyISAM
    -- after InnoDB). Created before the transaction (MySQL with GTIDs refuses CREATE
    -- TEMPORARY TABLE inside one when logging statements).
    SELECT COUNT(*) INTO v_requested FROM lead_archive_request;
    SET v_copy_engine = IF(
        v_blobs OR v_row_bytes * v_requested > v_room DIV 2,
        IF(v_innodb, 'InnoDB', 'MyISAM'),
        'MEMORY'
    );
    copy: LOOP
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_taken = TRUE;
            CALL lead_archive_run(
                v_explain,
                CONCAT(
                    'CREATE TEMPORARY TABLE lead_archive_copy (lead_archive_work TINYINT NULL, ',
                    'PRIMARY KEY (lead_id)) ENGINE = ', v_copy_engine, ' SELECT ', v_all,
                    ' FROM `', v_source, '` LIMIT 0'
                ),
                v_rows
            );
        END;
        IF NOT v_taken THEN
            LEAVE copy;
        END IF;
        CALL lead_archive_work_reclaim('lead_archive_copy', TRUE);
        SET v_taken = FALSE;
    END LOOP;

    -- A transaction only for a run on InnoDB lead tables: with GTIDs (MySQL 9's default) a
    -- transaction may not write a non-transactional table after a transactional one, and on
    -- MyISAM it would undo nothing anyway (each step is safe to re-run).
    -- READ COMMITTED: no gap locks, so calls inserting neighbouring new ids into the archive
    -- do not deadlock on the gap above its last row. The source rows are still locked FOR
    -- UPDATE by the read, which is what the verified delete needs. A server logging statements
    -- (binlog_format=STATEMENT) refuses READ COMMITTED writes on InnoDB: REPEATABLE READ there.
    -- Set again here: only START TRANSACTION is sure to take it (MySQL resets it after each
    -- statement outside a transaction).
    IF v_run AND v_innodb THEN
        IF @@GLOBAL.log_bin AND @@SESSION.binlog_format = 'STATEMENT' THEN
            SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
        ELSE
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
        END IF;
        START TRANSACTION;
        SET v_in_transaction = TRUE;
        SET v_isolation_set = FALSE;
    END IF;

    -- 3. read the batch once (the source rows locked in lead_id order on InnoDB)
    SET v_started = SYSDATE(6);
    CALL lead_archive_run(
        v_explain,
        CONCAT(
            'INSERT INTO lead_archive_copy (', v_all, ') SELECT ', v_all, ' FROM `', v_source,
            '` WHERE lead_id IN (SELECT lead_id FROM lead_archive_request) ORDER BY lead_id',
            IF(v_in_transaction, ' FOR UPDATE', '')
        ),
        v_found
    );
    IF v_source_is_list THEN
        SET v_max_us = GREATEST(v_max_us, TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6)));
    END IF;
    IF v_explain THEN
        SET v_found = v_requested;
    END IF;

    -- every id must exist in the source (read only: nothing to undo when refused)
    IF v_found < v_requested THEN
        SELECT LEFT(GROUP_CONCAT(r.lead_id ORDER BY r.pos SEPARATOR ','), 300)
        INTO v_message
        FROM lead_archive_request AS r
        WHERE NOT EXISTS (
            SELECT 1 FROM lead_archive_copy AS c
            WHERE c.lead_id = r.lead_id
        );
        CALL lead_archive_run(
            FALSE,
            CONCAT(
                'SELECT r.lead_id, EXISTS (SELECT 1 FROM `', v_target, '` AS t ',
                'WHERE t.lead_id = r.lead_id) AS already_archived ',
                'FROM lead_archive_request AS r WHERE NOT EXISTS ',
                '(SELECT 1 FROM lead_archive_copy AS c WHERE c.lead_id = r.lead_id) ',
                'ORDER BY r.pos'
            ),
            v_rows
        );
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

    -- 4. classify, one pass over the copy and the target: which leads the target holds,
    -- which of those are another lead under the same id (another entry_date, NULL-safe: never
    -- updated over nor deleted), which differ; a plan also asks which are busy now.
    SET v_started = SYSDATE(6);
    CALL lead_archive_run(
        v_explain,
        CONCAT(
            'UPDATE lead_archive_request AS r ',
            'INNER JOIN lead_archive_copy AS s ON s.lead_id = r.lead_id ',
            'LEFT JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
            'SET r.in_target = (t.lead_id IS NOT NULL), ',
            'r.id_conflict = (t.lead_id IS NOT NULL AND ', v_conflict, '), ',
            'r.reason = IF(t.lead_id IS NOT NULL AND ', v_conflict, ', ''id_conflict'', NULL), ',
            'r.differs = (t.lead_id IS NOT NULL AND NOT (', v_equal, ')), ',
            'r.busy = ', IF(v_run, 'FALSE', REPLACE(v_busy, 'LEADID', 'r.lead_id'))
        ),
        v_rows
    );
    IF NOT v_source_is_list THEN
        SET v_max_us = GREATEST(v_max_us, TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6)));
    END IF;
    SELECT
        COALESCE(SUM(in_target), 0) AS archived,
        COALESCE(SUM(in_target AND NOT id_conflict AND differs), 0) AS differing
    INTO v_archived, v_differs
    FROM lead_archive_request;

    IF NOT v_run THEN
        -- what a run would do on these tables as they are now
        UPDATE lead_archive_request
        SET
            inserted = (p_insert AND in_target = 0),
            updated = (p_update AND in_target = 1 AND id_conflict = 0 AND differs = 1),
            deleted = (
                p_delete AND id_conflict = 0 AND busy = 0
                AND ((in_target = 0 AND p_insert) OR (in_target = 1 AND (differs = 0 OR p_update)))
            );
    END IF;

    -- 5. insert: leads not yet in the target, from the copy. IGNORE keeps one row that cannot
    -- go in (a concurrent writer's row with that id, another unique key, a CHECK constraint,
    -- no partition for the id) from stopping the others; such a row is then not reported as
    -- inserted, and a delete keeps that lead as not_archived. Into vicidial_list (dearchive)
    -- on MyISAM in chunks of c_step ids.
    IF (v_run OR v_explain) AND p_insert AND (v_archived < v_requested OR v_explain) THEN
        SET v_from = 1;
        SET v_done = 0;
        WHILE v_from <= v_requested DO
            SET v_started = SYSDATE(6);
            CALL lead_archive_run(
                v_explain,
                CONCAT(
                    'INSERT IGNORE INTO `', v_target, '` (', v_cols, ') ',
                    'SELECT ', v_select, ' FROM lead_archive_copy AS c ',
                    'INNER JOIN lead_archive_request AS r ON r.lead_id = c.lead_id ',
                    'WHERE r.in_target = 0',
                    IF(
                        v_source_is_list, '',
                        CONCAT(' AND r.pos BETWEEN ', v_from, ' AND ', v_from + v_step - 1)
                    ),
                    ' ORDER BY c.lead_id'
                ),
                v_rows
            );
            IF NOT v_source_is_list THEN
                SET v_max_us = GREATEST(
                    v_max_us, TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6))
                );
            END IF;
            SET v_done = v_done + COALESCE(v_rows, 0);
            SET v_from = IF(v_source_is_list, v_requested + 1, v_from + v_step);
        END WHILE;
        -- The row count proves the rows went in under their ids unless a trigger on the
        -- target may have changed them (a BEFORE INSERT trigger that renumbers would make a
        -- lead read as inserted): then each id is looked up.
        SELECT COUNT(*) > 0 INTO v_target_triggered
        FROM information_schema.TRIGGERS
        WHERE
            EVENT_OBJECT_SCHEMA = DATABASE()
            AND EVENT_OBJECT_TABLE COLLATE utf8mb3_bin = v_target
            AND EVENT_MANIPULATION = 'INSERT';
        IF v_done = v_requested - v_archived AND NOT v_target_triggered THEN
            UPDATE lead_archive_request SET inserted = 1
            WHERE in_target = 0;
        ELSEIF NOT v_explain THEN
            SET v_started = SYSDATE(6);
            CALL lead_archive_run(
                FALSE,
                CONCAT(
                    'UPDATE lead_archive_request AS r ',
                    'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
                    'SET r.inserted = 1 WHERE r.in_target = 0'
                ),
                v_rows
            );
            IF NOT v_source_is_list THEN
                SET v_max_us = GREATEST(
                    v_max_us, TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6))
                );
            END IF;
        END IF;
    END IF;

    -- 6. update (archive only): target rows that were there already and differ byte for
    -- byte, rewritten from the copy. Every copied column is assigned, modify_date included, so
    -- ON UPDATE cannot rewrite it. IGNORE as for the insert; whether each row was written is
    -- then read back (ROW_COUNT() would count matched rows for a client with FOUND_ROWS).
    IF (v_run OR v_explain) AND p_update AND (v_differs > 0 OR v_explain) THEN
        CALL lead_archive_run(
            v_explain,
            CONCAT(
                'UPDATE IGNORE `', v_target, '` AS t ',
                'INNER JOIN lead_archive_copy AS c ON c.lead_id = t.lead_id ',
                'INNER JOIN lead_archive_request AS r ON r.lead_id = t.lead_id ',
                'SET ', v_assign, ' WHERE r.in_target = 1 AND r.id_conflict = 0 AND r.differs = 1'
            ),
            v_rows
        );
        CALL lead_archive_run(
            v_explain,
            CONCAT(
                'UPDATE lead_archive_request AS r ',
                'INNER JOIN `', v_target, '` AS t ON t.lead_id = r.lead_id ',
                'INNER JOIN lead_archive_copy AS s ON s.lead_id = r.lead_id ',
                'SET r.updated = 1 WHERE r.in_target = 1 AND r.id_conflict = 0 ',
                'AND r.differs = 1 AND ', v_equal
            ),
            v_rows
        );
    END IF;

    -- 7. delete: the source row as it is now against the target row as it is now, busy
    -- leads kept; on MyISAM c_step ids per statement.
    -- Busy: on MyISAM the DELETE itself asks, and the answer holds for the delete: the busy
    -- tables are read under the same statement's table locks, and a dialer that wants to put a
    -- lead in the hopper has to read vicidial_list first, which the DELETE has locked for
    -- writing. On InnoDB no statement of ours can make that atomic: the dialer reads
    -- vicidial_list without locking (a consistent read sees a lead deleted by this
    -- uncommitted transaction) and may put it in the hopper until the COMMIT. So the busy
    -- leads are marked by the statement just before the DELETE, in the same transaction with
    -- the rows already locked FOR UPDATE (their dispositions wait), and the DELETE does not
    -- hold the busy tables (MEMORY and MyISAM in VICIdial: their table locks would make the
    -- hopper wait for the whole DELETE). That statement joins two tables: InnoDB reads the
    -- busy tables of a multi-table UPDATE with locks, and so waits for a busy row another
    -- transaction is writing; a single-table UPDATE (and the DELETE's own subqueries) at
    -- READ COMMITTED read past it (the last committed rows) and the lead would go. The busy
    -- rows it finds stay locked for reading until the COMMIT.
    IF (v_run OR v_explain) AND p_delete THEN
        IF v_innodb AND p_direction = 'archive' THEN
            CALL lead_archive_run(
                v_explain,
                CONCAT(
                    'UPDATE lead_archive_request AS r ',
                    'INNER JOIN lead_archive_copy AS c ON c.lead_id = r.lead_id ',
                    'SET r.busy = ', REPLACE(v_busy, 'LEADID', 'r.lead_id'),
                    ' WHERE r.id_conflict = 0 AND (r.in_target = 1 OR r.inserted = 1)'
                ),
                v_rows
            );
            SET v_delete_busy = 'r.busy = 0';
        ELSE
            SET v_delete_busy = CONCAT('NOT ', REPLACE(v_busy, 'LEADID', 's.lead_id'));
        END IF;
        SET v_from = 1;
        WHILE v_from <= v_requested DO
            SELECT COUNT(*) INTO v_candidates FROM lead_archive_request
            WHERE
                pos BETWEEN v_from AND v_from + v_step - 1
                AND id_conflict = 0 AND busy = 0 AND (in_target = 1 OR inserted = 1);
            IF v_candidates > 0 OR v_explain THEN
                SET v_started = SYSDATE(6);
                CALL lead_archive_run(
                    v_explain,
                    CONCAT(
                        'DELETE s FROM `', v_source, '` AS s ',
                        'INNER JOIN lead_archive_request AS r ON r.lead_id = s.lead_id ',
                        'INNER JOIN `', v_target, '` AS t ON t.lead_id = s.lead_id ',
                        'WHERE r.pos BETWEEN ', v_from, ' AND ', v_from + v_step - 1,
                        ' AND r.id_conflict = 0 AND ', v_equal, ' AND ', v_delete_busy
                    ),
                    v_rows
                );
                SET v_max_us = GREATEST(
                    v_max_us, TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6))
                );
                IF v_explain OR v_rows = v_candidates THEN
                    UPDATE lead_archive_request SET deleted = 1
                    WHERE
                        pos BETWEEN v_from AND v_from + v_step - 1
                        AND id_conflict = 0 AND busy = 0 AND (in_target = 1 OR inserted = 1);
                ELSE
                    -- which ones went: read back from the source, this chunk only
                    SET v_started = SYSDATE(6);
                    CALL lead_archive_run(
                        FALSE,
                        CONCAT(
                            'UPDATE lead_archive_request AS r SET r.deleted = NOT EXISTS ',
                            '(SELECT 1 FROM `', v_source, '` AS s ',
                            'WHERE s.lead_id = r.lead_id) ',
                            'WHERE r.pos BETWEEN ', v_from, ' AND ', v_from + v_step - 1
                        ),
                        v_rows
                    );
                    IF v_source_is_list THEN
                        SET v_max_us = GREATEST(
                            v_max_us, TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6))
                        );
                    END IF;
                END IF;
            END IF;
            SET v_from = v_from + v_step;
        END WHILE;
        IF v_run AND p_direction = 'archive' THEN
            -- busy now? (a plan asked at step 4; on InnoDB the leads marked before the
            -- delete stay marked)
            CALL lead_archive_run(
                FALSE,
                CONCAT(
                    'UPDATE lead_archive_request AS r SET r.busy = ',
                    REPLACE(v_busy, 'LEADID', 'r.lead_id'),
                    ' WHERE r.deleted = 0 AND r.reason IS NULL AND r.busy = 0'
                ),
                v_rows
            );
        END IF;
    END IF;
    -- why a lead the delete was asked for stayed: the same statement for a plan and a run
    IF p_delete AND NOT v_explain THEN
        UPDATE lead_archive_request
        SET
            reason = CASE
                WHEN in_target = 0 AND inserted = 0 THEN 'not_archived'
                WHEN busy = 1 THEN 'busy'
                ELSE 'mismatch'
            END
        WHERE deleted = 0 AND reason IS NULL;
    END IF;

    -- What this call did is known: the next call may start while this one writes its audit.
    IF v_locked THEN
        DO RELEASE_LOCK(v_lock_name);
        SET v_locked = FALSE;
    END IF;
    SET p_lock_ms = v_max_us / 1000;

    IF v_run THEN
        INSERT INTO lead_archive_audit (
            called_at, operation, actor, db_account, request_id,
            insert_leads, update_leads, delete_leads, lead_ids,
            select_count, insert_count, update_count, delete_count, kept_count, max_lock_ms
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
            COALESCE(SUM(reason IS NOT NULL), 0) AS kept_count,
            p_lock_ms AS max_lock_ms
        FROM lead_archive_request;
    END IF;

    IF v_in_transaction THEN
        COMMIT;
        SET v_in_transaction = FALSE;
    ELSE
        -- no transaction was opened (MyISAM, Aria, a plan): an empty one takes the isolation
        -- level set at step 0, which would otherwise apply to the caller's next transaction
        START TRANSACTION;
        COMMIT;
    END IF;
    SET v_isolation_set = FALSE;

    IF NOT v_explain THEN
        SELECT
            lead_id,
            inserted,
            updated,
            deleted,
            reason
        FROM lead_archive_request
        ORDER BY pos;
    END IF;

    IF NOT v_explain THEN
        DROP TEMPORARY TABLE lead_archive_copy;
    END IF;
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
