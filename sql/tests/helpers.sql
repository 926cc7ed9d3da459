-- Assertions for the SQL tests. Load after the procedures, into a scratch database only.
DROP PROCEDURE IF EXISTS la_test_assert;
DROP PROCEDURE IF EXISTS la_test_expect_error;
DROP PROCEDURE IF EXISTS la_test_table_hash;

DELIMITER //
-- Fails with 'assertion failed: <what>' unless p_ok is true.
CREATE PROCEDURE la_test_assert (IN p_ok BOOLEAN, IN p_what VARCHAR(400))
BEGIN
    DECLARE v_message VARCHAR(500);
    IF p_ok IS NULL OR NOT p_ok THEN
        -- MySQL refuses a MESSAGE_TEXT over 128 characters
        SET v_message = LEFT(CONCAT('assertion failed: ', p_what), 128);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END//

-- Runs p_sql, which must fail with a MESSAGE_TEXT starting with p_prefix. The error is the
-- first condition on MariaDB (notes follow it) and the last on MySQL (the warnings of the
-- statements before it come first): either may carry the prefix.
-- The linter's grammar lacks GET DIAGNOSTICS … = NUMBER and cannot parse this procedure.
-- noqa: disable=PRS,LT02
CREATE PROCEDURE la_test_expect_error (IN p_sql TEXT, IN p_prefix VARCHAR(100))
BEGIN
    DECLARE v_error TEXT DEFAULT NULL;
    DECLARE v_last TEXT DEFAULT NULL;
    DECLARE v_conditions INT DEFAULT 0;
    DECLARE v_message VARCHAR(500);
    SET @la_test_sql = p_sql;
    PREPARE la_test_stmt FROM @la_test_sql;
    BEGIN
        -- the handler covers this block only, not the assertion below
        DECLARE CONTINUE HANDLER FOR SQLEXCEPTION
        BEGIN
            GET DIAGNOSTICS v_conditions = NUMBER;
            GET DIAGNOSTICS CONDITION 1 v_error = MESSAGE_TEXT;
            GET DIAGNOSTICS CONDITION v_conditions v_last = MESSAGE_TEXT;
        END;
        EXECUTE la_test_stmt;
    END;
    DEALLOCATE PREPARE la_test_stmt;
    IF LEFT(v_last, CHAR_LENGTH(p_prefix)) = p_prefix THEN
        SET v_error = v_last;
    END IF;
    IF v_error IS NULL OR LEFT(v_error, CHAR_LENGTH(p_prefix)) != p_prefix THEN
        -- MySQL refuses a MESSAGE_TEXT over 128 characters
        SET v_message = LEFT(CONCAT(
            'assertion failed: expected error ', p_prefix, ', got ',
            COALESCE(CONCAT_WS(' / ', v_error, NULLIF(v_last, v_error)), 'none')
        ), 128);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END//
-- noqa: enable=PRS,LT02

-- A byte-exact fingerprint of a table: every column of every row, as bytes.
CREATE PROCEDURE la_test_table_hash (IN p_table VARCHAR(64), OUT p_hash VARCHAR(64))
BEGIN
    DECLARE v_columns TEXT;
    SET SESSION group_concat_max_len = 1048576;
    SELECT
        GROUP_CONCAT(
            CONCAT('COALESCE(HEX(CAST(`', COLUMN_NAME, '` AS BINARY)), ''N'')')
            ORDER BY ORDINAL_POSITION SEPARATOR ', '
        )
    INTO v_columns
    FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = p_table COLLATE utf8mb3_general_ci;
    SET @la_test_sql = CONCAT(
        'SELECT SHA2(COALESCE(GROUP_CONCAT(CONCAT_WS(''|'', ', v_columns,
        ') ORDER BY lead_id SEPARATOR ''\n''), ''''), 256) INTO @la_test_hash FROM `', p_table, '`'
    );
    PREPARE la_test_stmt FROM @la_test_sql;
    EXECUTE la_test_stmt;
    DEALLOCATE PREPARE la_test_stmt;
    SET p_hash = @la_test_hash;
END//
DELIMITER ;
