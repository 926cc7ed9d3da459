-- regression: an archive from before schema 1639 has no 'D' member; copying 'D' would store ''.
INSERT INTO vicidial_list (lead_id, phone_number, called_since_last_reset)
VALUES (1, '5551000001', 'D');
ALTER TABLE vicidial_list_archive MODIFY called_since_last_reset
ENUM('Y', 'N', 'Y1', 'Y2', 'Y3', 'Y4', 'Y5', 'Y6', 'Y7', 'Y8', 'Y9', 'Y10') DEFAULT 'N';

CALL la_test_expect_error('CALL archive_leads(''[1]'', TRUE, TRUE, TRUE)', 'schema_mismatch:');
CALL la_test_assert((SELECT COUNT(*) FROM vicidial_list_archive) = 0, 'nothing was copied');
CALL la_test_assert((SELECT COUNT(*) FROM vicidial_list) = 1, 'nothing was deleted');
