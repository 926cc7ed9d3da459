-- lead_archive_guard: what would a copy from p_source into p_target lose?
-- Fills the session's temporary table lead_archive_problems (column_name, problem), one row per
-- problem, read from information_schema at call time. Empty table = safe to copy.
-- A column of p_source must exist in p_target with the same COLUMN_TYPE (length, unsigned,
-- every ENUM member, compared byte for byte) and character set, and must not be NOT NULL in
-- p_target where p_source allows NULL. Columns only in p_target are allowed (they keep their
-- defaults). lead_id must be the primary key of p_target.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_guard;

DELIMITER //
CREATE PROCEDURE lead_archive_guard(
    IN p_source VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci,
    IN p_target VARCHAR(64) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci
)
READS SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DROP TEMPORARY TABLE IF EXISTS lead_archive_problems;
    CREATE TEMPORARY TABLE lead_archive_problems (
        column_name VARCHAR(64) NOT NULL,
        problem VARCHAR(512) NOT NULL
    ) ENGINE = MEMORY;

    INSERT INTO lead_archive_problems (column_name, problem)
    SELECT
        '' AS column_name,
        CONCAT('table ', needed.table_name, ' does not exist') AS problem
    FROM (
        SELECT p_source AS table_name
        UNION ALL
        SELECT p_target AS table_name
    ) AS needed
    WHERE NOT EXISTS (
        SELECT 1 FROM information_schema.TABLES AS t
        WHERE
            t.TABLE_SCHEMA = DATABASE()
            AND t.TABLE_NAME = needed.table_name
    );

    INSERT INTO lead_archive_problems (column_name, problem)
    SELECT
        c.column_name,
        c.problem
    FROM (
        SELECT
            s.COLUMN_NAME AS column_name,
            CASE
                WHEN t.COLUMN_NAME IS NULL
                    THEN CONCAT('missing from ', p_target)
                WHEN CAST(t.COLUMN_TYPE AS BINARY) != CAST(s.COLUMN_TYPE AS BINARY)
                    THEN CONCAT(
                        p_source, ' has ', s.COLUMN_TYPE,
                        ', ', p_target, ' has ', t.COLUMN_TYPE
                    )
                WHEN NOT t.CHARACTER_SET_NAME <=> s.CHARACTER_SET_NAME
                    THEN CONCAT(
                        p_source, ' has character set ', COALESCE(s.CHARACTER_SET_NAME, 'none'),
                        ', ', p_target, ' has ', COALESCE(t.CHARACTER_SET_NAME, 'none')
                    )
                WHEN t.IS_NULLABLE = 'NO' AND s.IS_NULLABLE = 'YES'
                    THEN CONCAT('NULL allowed in ', p_source, ' but not in ', p_target)
                WHEN s.COLUMN_NAME = 'lead_id' AND t.COLUMN_KEY != 'PRI'
                    THEN CONCAT('lead_id is not the primary key of ', p_target)
            END AS problem
        FROM information_schema.COLUMNS AS s
        LEFT JOIN information_schema.COLUMNS AS t
            ON
                t.TABLE_SCHEMA = s.TABLE_SCHEMA
                AND t.TABLE_NAME = p_target
                AND t.COLUMN_NAME = s.COLUMN_NAME
        WHERE
            s.TABLE_SCHEMA = DATABASE()
            AND s.TABLE_NAME = p_source
            AND EXISTS (
                SELECT 1 FROM information_schema.TABLES AS tt
                WHERE
                    tt.TABLE_SCHEMA = DATABASE()
                    AND tt.TABLE_NAME = p_target
            )
    ) AS c
    WHERE c.problem IS NOT NULL;
END //
DELIMITER ;
