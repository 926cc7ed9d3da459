-- Archive, then dearchive: vicidial_list is byte for byte what it was.
INSERT INTO vicidial_list (
    lead_id, entry_date, modify_date, phone_number, first_name, last_name,
    comments, gender, date_of_birth
)
VALUES
(
    1, '2024-01-02 03:04:05', '2024-02-02 00:00:00', '5551000001', 'Zoë', 'Dvořák', 'a ', 'F',
    '1970-05-17'
),
(2, NULL, '2023-02-02 00:00:00', '5551000002', '', NULL, NULL, NULL, NULL);

CALL la_test_table_hash('vicidial_list', @before);
CALL archive_leads('[1,2]', TRUE, TRUE, TRUE);
CALL dearchive_leads('[1,2]', TRUE, TRUE);
CALL la_test_table_hash('vicidial_list', @after);

CALL la_test_assert(@before = @after, 'vicidial_list is restored byte for byte');
CALL la_test_assert((SELECT COUNT(*) FROM vicidial_list_archive) = 0, 'the archive is empty');
CALL la_test_expect_error('CALL dearchive_leads(''[1]'', TRUE, TRUE)', 'leads_not_found:');
