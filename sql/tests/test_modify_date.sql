-- regression: modify_date rewrites itself on UPDATE unless assigned; the update step copies it.
INSERT INTO vicidial_list (lead_id, phone_number, modify_date)
VALUES (1, '5551000001', '2020-01-01 00:00:00');
CALL archive_leads('[1]', TRUE, FALSE, FALSE);
UPDATE vicidial_list SET status = 'SALE', modify_date = '2021-01-01 00:00:00'
WHERE lead_id = 1;

CALL archive_leads('[1]', FALSE, TRUE, TRUE);

CALL la_test_assert(
    (
        SELECT modify_date FROM vicidial_list_archive
        WHERE lead_id = 1
    ) = '2021-01-01 00:00:00',
    'the archive keeps the modify_date of vicidial_list'
);
CALL la_test_assert((SELECT COUNT(*) FROM vicidial_list) = 0, 'the updated lead was deleted');
