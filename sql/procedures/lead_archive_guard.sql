-- lead_archive_guard: what would a copy from p_source into p_target lose?
-- Fills the session's temporary table lead_archive_problems (column_name, problem), one row per
-- problem; empty = safe to copy. Also leaves, for the caller, lead_archive_source_columns and
-- lead_archive_target_columns: both column lists read from information_schema at call time (one
-- indexed lookup per table: a join inside information_schema would scan every table of the
-- server). lead_archive_source_columns.copied marks the columns a copy writes; every column of
-- p_source is compared.
-- Problems:
-- - a TEMPORARY table of this session hides p_source or p_target (lead_archive_shadowed);
--   nothing else is checked then;
-- - p_source or p_target does not exist; p_target is a view, or its engine is not known to keep
--   its rows over a restart (allowed: InnoDB, MyISAM, Aria; MEMORY, BLACKHOLE, ... are not);
-- - p_source is a view (its columns and rows need not be the table's);
-- - p_target has a foreign key ON DELETE CASCADE / SET NULL / SET DEFAULT (a delete elsewhere,
--   the call's own included, could take or change an archived copy);
-- - a column of p_source is missing from p_target, or differs in COLUMN_TYPE (length, unsigned,
--   every ENUM member, compared byte for byte) or character set, or is NOT NULL in p_target
--   where p_source allows NULL; lead_id is not the primary key of p_target;
-- - generated columns (VIRTUAL or STORED): a column generated in p_target but not in p_source
--   cannot be written by a copy. Generated in both tables, it is not copied (the target
--   computes it) but compared like any other: another expression in p_target shows as a
--   mismatch and keeps the lead. (The expressions are not compared as text: MySQL rewrites
--   one on ALTER TABLE.) Generated in p_source only, it is copied and compared as a value.
-- Columns only in p_target are allowed (they keep their defaults).
-- Session: creates the three working tables (MEMORY, never a caller's table of the same name:
-- lead_archive_work_reclaim); the caller drops them (lead_archive_move, lead_archive_check).
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_guard;

DELIMITER //
CREATE PROCEDURE lead_archive_guard (
    IN p_source VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci,
    IN p_target VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_taken BOOLEAN DEFAULT FALSE;
    DECLARE v_engine VARCHAR(64);
    DECLARE v_table_type VARCHAR(64);
    -- the problem list numbers its rows: the caller's LAST_INSERT_ID() is given back at the end
    DECLARE v_last_insert_id BIGINT UNSIGNED DEFAULT LAST_INSERT_ID();

    -- The working tables. A table of the same name already in the session is a leftover of
    -- an earlier call (dropped) or the caller's (refused): lead_archive_work_reclaim.
    problems: LOOP
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_taken = TRUE;
            -- a primary key on every working table: a server or session with
            -- sql_require_primary_key (MySQL) refuses temporary tables without one (3750)
            CREATE TEMPORARY TABLE lead_archive_problems (
                problem_no INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                column_name VARCHAR(64) NOT NULL,
                problem VARCHAR(512) NOT NULL,
                lead_archive_work TINYINT NULL
            ) ENGINE = MEMORY DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;
        END;
        IF NOT v_taken THEN
            LEAVE problems;
        END IF;
        CALL lead_archive_work_reclaim('lead_archive_problems', TRUE);
        SET v_taken = FALSE;
    END LOOP;
    source_columns: LOOP
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_taken = TRUE;
            CREATE TEMPORARY TABLE lead_archive_source_columns (
                column_name VARCHAR(64) NOT NULL,
                ordinal_position INT UNSIGNED NOT NULL,
                data_type VARCHAR(64) NOT NULL,
                -- shown in problems; compared as type_hash (a long ENUM would not fit)
                column_type VARCHAR(255) NOT NULL,
                type_hash BINARY(32) NOT NULL,
                character_set_name VARCHAR(64) NULL,
                -- a string's width in bytes (lead_archive_move sizes its copy of the rows)
                octet_length BIGINT UNSIGNED NULL,
                is_nullable VARCHAR(3) NOT NULL,
                column_key VARCHAR(3) NOT NULL,
                is_generated TINYINT(1) NOT NULL,
                copied TINYINT(1) NOT NULL DEFAULT 0,
                lead_archive_work TINYINT NULL,
                PRIMARY KEY (column_name)
            ) ENGINE = MEMORY DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;
        END;
        IF NOT v_taken THEN
            LEAVE source_columns;
        END IF;
        CALL lead_archive_work_reclaim('lead_archive_source_columns', TRUE);
        SET v_taken = FALSE;
    END LOOP;
    target_columns: LOOP
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_taken = TRUE;
            CREATE TEMPORARY TABLE lead_archive_target_columns LIKE lead_archive_source_columns;
        END;
        IF NOT v_taken THEN
            LEAVE target_columns;
        END IF;
        CALL lead_archive_work_reclaim('lead_archive_target_columns', TRUE);
        SET v_taken = FALSE;
    END LOOP;

    CALL lead_archive_shadowed(CONCAT(p_source, ',', p_target));

    IF NOT EXISTS (SELECT 1 FROM lead_archive_problems) THEN
        INSERT INTO lead_archive_source_columns (
            column_name, ordinal_position, data_type, column_type, type_hash,
            character_set_name, octet_length, is_nullable, column_key, is_generated
        )
        SELECT
            COLUMN_NAME,
            ORDINAL_POSITION,
            DATA_TYPE,
            LEFT(COLUMN_TYPE, 255) AS column_type,
            UNHEX(SHA2(COLUMN_TYPE, 256)) AS type_hash,
            CHARACTER_SET_NAME,
            CHARACTER_OCTET_LENGTH,
            IS_NULLABLE,
            COLUMN_KEY,
            -- NULL (MariaDB) or '' (MySQL) for a base column
            COALESCE(GENERATION_EXPRESSION, '') != '' AS is_generated
        FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = p_source;

        INSERT INTO lead_archive_target_columns (
            column_name, ordinal_position, data_type, column_type, type_hash,
            character_set_name, is_nullable, column_key, is_generated
        )
        SELECT
            COLUMN_NAME,
            ORDINAL_POSITION,
            DATA_TYPE,
            LEFT(COLUMN_TYPE, 255) AS column_type,
            UNHEX(SHA2(COLUMN_TYPE, 256)) AS type_hash,
            CHARACTER_SET_NAME,
            IS_NULLABLE,
            COLUMN_KEY,
            COALESCE(GENERATION_EXPRESSION, '') != '' AS is_generated
        FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = p_target;

        IF NOT EXISTS (SELECT 1 FROM lead_archive_source_columns) THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', CONCAT('table ', p_source, ' does not exist'));
        END IF;
        IF NOT EXISTS (SELECT 1 FROM lead_archive_target_columns) THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', CONCAT('table ', p_target, ' does not exist'));
        ELSE
            -- MariaDB 11.2+ lists temporary tables here too (TABLE_TYPE 'TEMPORARY')
            SELECT
                ENGINE,
                TABLE_TYPE
            INTO v_engine, v_table_type
            FROM information_schema.TABLES
            WHERE
                TABLE_SCHEMA = DATABASE()
                AND TABLE_NAME = p_target
                AND TABLE_TYPE != 'TEMPORARY';
            IF v_table_type = 'VIEW' THEN
                INSERT INTO lead_archive_problems (column_name, problem)
                VALUES ('', CONCAT(p_target, ' is a view, not a table'));
            ELSEIF NOT COALESCE(v_engine IN ('InnoDB', 'MyISAM', 'Aria'), FALSE) THEN
                INSERT INTO lead_archive_problems (column_name, problem)
                VALUES (
                    '',
                    CONCAT(
                        p_target, ' uses ENGINE=', COALESCE(v_engine, 'unknown'),
                        ', which is not known to keep its rows over a restart',
                        ' (InnoDB, MyISAM and Aria are)'
                    )
                );
            END IF;

            -- A view as the source shows only its own columns (and rows): the copy and the
            -- comparison would miss what the view leaves out, the delete would not.
            IF EXISTS (
                SELECT 1 FROM information_schema.TABLES
                WHERE
                    TABLE_SCHEMA = DATABASE()
                    AND TABLE_NAME = p_source
                    AND TABLE_TYPE = 'VIEW'
            ) THEN
                INSERT INTO lead_archive_problems (column_name, problem)
                VALUES ('', CONCAT(p_source, ' is a view, not a table'));
            END IF;
            -- A foreign key of the target whose delete rule changes the target's rows (CASCADE,
            -- SET NULL, SET DEFAULT): the verified delete from the source would take or change
            -- the copy it has just verified.
            INSERT INTO lead_archive_problems (column_name, problem)
            SELECT
                '' AS column_name,
                LEFT(
                    CONCAT(
                        p_target, ' has foreign key ', CONSTRAINT_NAME, ' ON DELETE ',
                        DELETE_RULE, ' (to ', REFERENCED_TABLE_NAME,
                        '): a delete could change the archived copy'
                    ),
                    512
                ) AS problem
            FROM information_schema.REFERENTIAL_CONSTRAINTS
            WHERE
                CONSTRAINT_SCHEMA = DATABASE()
                AND TABLE_NAME = p_target
                AND DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION');

            INSERT INTO lead_archive_problems (column_name, problem)
            SELECT
                c.source_column,
                c.problem
            FROM (
                SELECT
                    s.column_name AS source_column,
                    s.ordinal_position,
                    CASE
                        WHEN t.column_name IS NULL
                            THEN CONCAT('missing from ', p_target)
                        WHEN t.type_hash != s.type_hash
                            THEN CONCAT(
                                p_source, ' has ', s.column_type,
                                ', ', p_target, ' has ', t.column_type
                            )
                        WHEN NOT t.character_set_name <=> s.character_set_name
                            THEN CONCAT(
                                p_source, ' has character set ',
                                COALESCE(s.character_set_name, 'none'),
                                ', ', p_target, ' has ', COALESCE(t.character_set_name, 'none')
                            )
                        WHEN t.is_nullable = 'NO' AND s.is_nullable = 'YES'
                            THEN CONCAT('NULL allowed in ', p_source, ' but not in ', p_target)
                        WHEN s.column_name = 'lead_id' AND t.column_key != 'PRI'
                            THEN CONCAT('lead_id is not the primary key of ', p_target)
                        WHEN t.is_generated AND NOT s.is_generated
                            THEN CONCAT(
                                'generated in ', p_target, ' but not in ', p_source,
                                ': a copy cannot write it'
                            )
                    END AS problem
                FROM lead_archive_source_columns AS s
                LEFT JOIN lead_archive_target_columns AS t
                    ON s.column_name = t.column_name
            ) AS c
            WHERE c.problem IS NOT NULL
            ORDER BY c.ordinal_position;

            -- what a copy writes and compares: every column that is a base column in p_target
            UPDATE lead_archive_source_columns AS s
            SET s.copied = 1
            WHERE EXISTS (
                SELECT 1 FROM lead_archive_target_columns AS t
                WHERE t.column_name = s.column_name AND NOT t.is_generated
            );
        END IF;
    END IF;
    DO LAST_INSERT_ID(v_last_insert_id);
END//
DELIMITER ;
