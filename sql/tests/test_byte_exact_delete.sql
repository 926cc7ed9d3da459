-- regression: a delete that trusted utf8mb3_unicode_ci equality would drop newer data.
INSERT INTO vicidial_list (lead_id, phone_number, last_name, city, comments) VALUES
(1, '5551000001', 'Smith', 'Paris', 'a'),
(2, '5551000002', 'Smith', 'Paris', 'a'),
(3, '5551000003', 'Smith', 'Paris', 'a'),
(4, '5551000004', 'Smith', 'Paris', 'a'),
(5, '5551000005', 'Smith', 'Paris', 'a');

CALL archive_leads('[1,2,3,4,5]', TRUE, FALSE, FALSE);

UPDATE vicidial_list SET last_name = 'SMITH'
WHERE lead_id = 1;
UPDATE vicidial_list SET comments = 'a '
WHERE lead_id = 2;
UPDATE vicidial_list SET city = 'París'
WHERE lead_id = 3;
UPDATE vicidial_list SET comments = NULL
WHERE lead_id = 4;

CALL archive_leads('[1,2,3,4,5]', FALSE, FALSE, TRUE);

CALL la_test_assert(
    (SELECT GROUP_CONCAT(lead_id ORDER BY lead_id) FROM vicidial_list) = '1,2,3,4',
    'only the byte-identical lead 5 was deleted'
);
CALL la_test_assert(
    (
        SELECT CAST(last_name AS BINARY) FROM vicidial_list
        WHERE lead_id = 1
    )
    = CAST('SMITH' AS BINARY),
    'the newer value of lead 1 is still in vicidial_list'
);
CALL la_test_assert(
    (
        SELECT kept_count FROM lead_archive_audit
        ORDER BY audit_id DESC LIMIT 1
    ) = 4,
    'the audit counts 4 kept leads'
);
