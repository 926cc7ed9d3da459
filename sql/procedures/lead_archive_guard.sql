-- lead_archive_guard: what would a copy from p_source into p_target lose?
-- Reads both column lists from information_schema at call time into the session's temporary
-- tables lead_archive_source_columns and lead_archive_target_columns (one indexed lookup per
-- table: a join inside information_schema would scan every table of the server), then fills
-- lead_archive_problems (column_name, problem), one row per problem. Empty = safe to copy.
-- A column of p_source must exist in p_target with the same COLUMN_TYPE (length, unsigned,
-- every ENUM member, compared byte for byte) and character set, and must not be NOT NULL in
-- p_target where p_source allows NULL. Columns only in p_target are allowed (they keep their
-- defaults). lead_id must be the primary key of p_target.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_guard;

DELIMITER //
CREATE PROCEDURE lead_archive_guard (
    IN p_source VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci,
    IN p_target VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DROP TEMPORARY TABLE IF EXISTS lead_archive_source_columns;
    DROP TEMPORARY TABLE IF EXISTS lead_archive_target_columns;
    DROP TEMPORARY TABLE IF EXISTS lead_archive_problems;
    CREATE TEMPORARY TABLE lead_archive_source_columns (
        column_name VARCHAR(64) NOT NULL,
        ordinal_position INT UNSIGNED NOT NULL,
        column_type TEXT NOT NULL,
        character_set_name VARCHAR(64) NULL,
        is_nullable VARCHAR(3) NOT NULL,
        column_key VARCHAR(3) NOT NULL,
        PRIMARY KEY (column_name)
    ) DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;
    CREATE TEMPORARY TABLE lead_archive_target_columns LIKE lead_archive_source_columns;
    CREATE TEMPORARY TABLE lead_archive_problems (
        column_name VARCHAR(64) NOT NULL,
        problem VARCHAR(512) NOT NULL
    ) ENGINE = MEMORY DEFAULT CHARSET = utf8mb3 COLLATE = utf8mb3_general_ci;

    INSERT INTO lead_archive_source_columns
    SELECT
        COLUMN_NAME,
        ORDINAL_POSITION,
        COLUMN_TYPE,
        CHARACTER_SET_NAME,
        IS_NULLABLE,
        COLUMN_KEY
    FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = p_source;

    INSERT INTO lead_archive_target_columns
    SELECT
        COLUMN_NAME,
        ORDINAL_POSITION,
        COLUMN_TYPE,
        CHARACTER_SET_NAME,
        IS_NULLABLE,
        COLUMN_KEY
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
                    WHEN CAST(t.column_type AS BINARY) != CAST(s.column_type AS BINARY)
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
                END AS problem
            FROM lead_archive_source_columns AS s
            LEFT JOIN lead_archive_target_columns AS t
                ON s.column_name = t.column_name
        ) AS c
        WHERE c.problem IS NOT NULL
        ORDER BY c.ordinal_position;
    END IF;
END//
DELIMITER ;
