-- Every refused call raises SQLSTATE 45000 with its code and writes nothing.
INSERT INTO vicidial_list (lead_id, phone_number) VALUES (1, '5551000001'), (2, '5551000002');
CALL archive_leads('[2]', TRUE, FALSE, FALSE);

CALL la_test_table_hash('vicidial_list', @list_before);
CALL la_test_table_hash('vicidial_list_archive', @archive_before);

CALL la_test_expect_error('CALL archive_leads(NULL, TRUE, TRUE, TRUE)', 'missing_lead_ids:');
CALL la_test_expect_error('CALL archive_leads(''[]'', TRUE, TRUE, TRUE)', 'missing_lead_ids:');
CALL la_test_expect_error('CALL archive_leads(''[1,"2"]'', TRUE, TRUE, TRUE)', 'invalid_lead_ids:');
CALL la_test_expect_error('CALL archive_leads(''[1.0]'', TRUE, TRUE, TRUE)', 'invalid_lead_ids:');
CALL la_test_expect_error('CALL archive_leads(''[true]'', TRUE, TRUE, TRUE)', 'invalid_lead_ids:');
CALL la_test_expect_error('CALL archive_leads(''[-1]'', TRUE, TRUE, TRUE)', 'invalid_lead_ids:');
CALL la_test_expect_error(
    'CALL archive_leads(''[4294967296]'', TRUE, TRUE, TRUE)', 'invalid_lead_ids:'
);
CALL la_test_expect_error(
    'CALL archive_leads(''[1,2,1]'', TRUE, TRUE, TRUE)', 'duplicate_lead_ids:'
);
CALL la_test_expect_error('CALL archive_leads(''[1,3]'', TRUE, TRUE, TRUE)', 'leads_not_found:');

CALL la_test_table_hash('vicidial_list', @list_after);
CALL la_test_table_hash('vicidial_list_archive', @archive_after);
CALL la_test_assert(@list_before = @list_after, 'vicidial_list unchanged');
CALL la_test_assert(@archive_before = @archive_after, 'vicidial_list_archive unchanged');
CALL la_test_assert((SELECT COUNT(*) FROM lead_archive_audit) = 1, 'refusals are not audited');
