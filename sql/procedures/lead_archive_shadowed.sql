-- lead_archive_shadowed: does a TEMPORARY table of this session hide one of p_tables (a comma
-- list of the tables a call reads or writes: vicidial_list, vicidial_list_archive,
-- lead_archive_audit, the busy tables)? Each one hidden adds a row to lead_archive_problems.
-- Inside the procedures an unqualified name means the session's temporary table first, and
-- information_schema does not show temporary tables (MariaDB before 11.2, MySQL): a call would
-- copy into, compare with or delete from a table that vanishes at disconnect. Portable test:
-- CREATE TEMPORARY TABLE of that name fails with error 1050 exactly when the session has one;
-- when it succeeds, the table just made is dropped again (never the caller's). Static
-- statements, one per name: a prepared statement per name would cost four times as much.
-- Each probe has a primary key: sql_require_primary_key (MySQL) refuses a table without one.
-- Session: nothing left behind.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

DROP PROCEDURE IF EXISTS lead_archive_shadowed;

DELIMITER //
CREATE PROCEDURE lead_archive_shadowed (
    IN p_tables TEXT CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci
)
MODIFIES SQL DATA
SQL SECURITY DEFINER
COMMENT 'lead-archive 1'
BEGIN
    DECLARE v_hidden BOOLEAN DEFAULT FALSE;

    IF FIND_IN_SET('vicidial_list', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_list (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_list');
        ELSE
            DROP TEMPORARY TABLE vicidial_list;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_list_archive', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_list_archive (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_list_archive');
        ELSE
            DROP TEMPORARY TABLE vicidial_list_archive;
        END IF;
    END IF;

    IF FIND_IN_SET('lead_archive_audit', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE lead_archive_audit (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides lead_archive_audit');
        ELSE
            DROP TEMPORARY TABLE lead_archive_audit;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_hopper', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_hopper (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_hopper');
        ELSE
            DROP TEMPORARY TABLE vicidial_hopper;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_auto_calls', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_auto_calls (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_auto_calls');
        ELSE
            DROP TEMPORARY TABLE vicidial_auto_calls;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_live_agents', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_live_agents (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_live_agents');
        ELSE
            DROP TEMPORARY TABLE vicidial_live_agents;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_callbacks', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_callbacks (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_callbacks');
        ELSE
            DROP TEMPORARY TABLE vicidial_callbacks;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_inbound_callback_queue', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_inbound_callback_queue (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_inbound_callback_queue');
        ELSE
            DROP TEMPORARY TABLE vicidial_inbound_callback_queue;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_abandon_check_queue', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_abandon_check_queue (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_abandon_check_queue');
        ELSE
            DROP TEMPORARY TABLE vicidial_abandon_check_queue;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_shared_drops', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_shared_drops (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_shared_drops');
        ELSE
            DROP TEMPORARY TABLE vicidial_shared_drops;
        END IF;
    END IF;

    IF FIND_IN_SET('vicidial_hci_reserve', p_tables) THEN
        SET v_hidden = FALSE;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1050 SET v_hidden = TRUE;
            CREATE TEMPORARY TABLE vicidial_hci_reserve (
                lead_archive_probe TINYINT NOT NULL PRIMARY KEY
            ) ENGINE = MEMORY;
        END;
        IF v_hidden THEN
            INSERT INTO lead_archive_problems (column_name, problem)
            VALUES ('', 'a TEMPORARY table hides vicidial_hci_reserve');
        ELSE
            DROP TEMPORARY TABLE vicidial_hci_reserve;
        END IF;
    END IF;
END//
DELIMITER ;
