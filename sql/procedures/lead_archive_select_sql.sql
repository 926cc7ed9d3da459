-- lead_archive_select_sql: the SELECT that lead_archive_select_leads runs for a selection, as
-- text: CALL it to read the statement, or to EXPLAIN it.
--   CALL lead_archive_select_sql('vicidial_list_archive', '{"phone": ["5550102030"]}', @sql);
-- Filters and refusals: see lead_archive_select_leads. Every value becomes a quoted literal, so
-- the optimizer sees it and can use the table's indexes. No session state; reads no table.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_select_sql;

DELIMITER //
CREATE PROCEDURE lead_archive_select_sql (
    IN p_table VARCHAR(64),
    IN p_filters LONGTEXT,
    OUT p_sql LONGTEXT
)
NO SQL
SQL SECURITY INVOKER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_where LONGTEXT DEFAULT '';
    DECLARE v_keys LONGTEXT;
    DECLARE v_key VARCHAR(64);
    DECLARE v_value LONGTEXT;
    DECLARE v_item LONGTEXT;
    DECLARE v_list LONGTEXT;
    DECLARE v_column VARCHAR(64);
    DECLARE v_when DATETIME;
    DECLARE v_i INT;
    DECLARE v_k INT DEFAULT 0;
    DECLARE v_message TEXT;

    IF p_table NOT IN ('vicidial_list', 'vicidial_list_archive') OR p_table IS NULL THEN
        SIGNAL SQLSTATE '45000'
            SET
            MESSAGE_TEXT = 'invalid_selection: no such table to select from';
    END IF;
    IF
        p_filters IS NULL
        OR NOT JSON_VALID(p_filters)
        OR JSON_TYPE(p_filters) != 'OBJECT'
    THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'invalid_selection: filters must be a JSON object';
    END IF;

    SET v_keys = JSON_KEYS(p_filters);
    WHILE v_k < JSON_LENGTH(v_keys) DO
        SET v_key = JSON_UNQUOTE(JSON_EXTRACT(v_keys, CONCAT('$[', v_k, ']')));
        SET v_value = JSON_EXTRACT(p_filters, CONCAT('$."', v_key, '"'));
        SET v_k = v_k + 1;
        IF v_key IN ('phone', 'vendor_lead_code', 'list_id', 'status') THEN
            IF JSON_TYPE(v_value) != 'ARRAY' OR JSON_LENGTH(v_value) = 0 THEN
                SET v_message = CONCAT(
                    'invalid_selection: ', v_key, ' must be a non-empty JSON array'
                );
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
            END IF;
            SET v_list = '';
            SET v_i = 0;
            WHILE v_i < JSON_LENGTH(v_value) DO
                SET v_item = JSON_EXTRACT(v_value, CONCAT('$[', v_i, ']'));
                SET v_i = v_i + 1;
                IF v_key = 'list_id' THEN
                    IF JSON_TYPE(v_item) NOT IN ('INTEGER', 'UNSIGNED INTEGER') OR v_item < 0 THEN
                        SIGNAL SQLSTATE '45000'
                            SET
                            MESSAGE_TEXT = 'invalid_selection: list_id must hold integers';
                    END IF;
                    SET v_item = CAST(v_item AS UNSIGNED);
                ELSEIF JSON_TYPE(v_item) != 'STRING' THEN
                    SET v_message = CONCAT('invalid_selection: ', v_key, ' must hold strings');
                    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
                ELSEIF v_key = 'phone' THEN
                    SET v_item = REGEXP_REPLACE(JSON_UNQUOTE(v_item), '[^0-9]', '');
                    IF v_item = '' THEN
                        SIGNAL SQLSTATE '45000'
                            SET
                            MESSAGE_TEXT = 'invalid_selection: a phone number has no digit';
                    END IF;
                    SET v_item = QUOTE(v_item);
                ELSE
                    SET v_item = QUOTE(JSON_UNQUOTE(v_item));
                END IF;
                SET v_list = CONCAT(v_list, IF(v_list = '', '', ', '), v_item);
            END WHILE;
            SET v_column = CASE v_key
                WHEN 'phone' THEN 'phone_number'
                ELSE v_key
            END;
            -- compared in the column's collation, as VICIdial's own search does, so that the
            -- column's index serves it (the move itself still compares byte for byte)
            SET v_where = CONCAT(v_where, ' AND `', v_column, '` IN (', v_list, ')');
        ELSEIF v_key IN ('entry_before', 'entry_after', 'last_call_before') THEN
            SET v_when = NULL;
            IF JSON_TYPE(v_value) = 'STRING' THEN
                SET v_item = JSON_UNQUOTE(v_value);
                IF v_item REGEXP '^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?$' THEN
                    SET v_when = STR_TO_DATE(
                        v_item, IF(CHAR_LENGTH(v_item) = 10, '%Y-%m-%d', '%Y-%m-%d %H:%i:%s')
                    );
                END IF;
            END IF;
            IF v_when IS NULL THEN
                SET v_message = CONCAT(
                    'invalid_selection: ', v_key, ' must be a date YYYY-MM-DD[ HH:MM:SS]'
                );
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
            END IF;
            SET v_where = CONCAT(
                v_where,
                CASE v_key
                    WHEN 'entry_before' THEN ' AND `entry_date` < '
                    WHEN 'entry_after' THEN ' AND `entry_date` >= '
                    ELSE ' AND `last_local_call_time` < '
                END,
                QUOTE(DATE_FORMAT(v_when, '%Y-%m-%d %H:%i:%s'))
            );
        ELSE
            SET v_message = CONCAT('invalid_selection: unknown filter ', LEFT(v_key, 64));
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
    END WHILE;

    SET p_sql = CONCAT(
        'SELECT `lead_id` FROM `', p_table, '`',
        IF(v_where = '', '', CONCAT(' WHERE', SUBSTRING(v_where, 5))),
        ' ORDER BY `lead_id`'
    );
END//
DELIMITER ;
