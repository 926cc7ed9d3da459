-- A full archive call copies every lead byte for byte and removes it from vicidial_list.
INSERT INTO vicidial_list (
    lead_id, entry_date, status, phone_number, first_name, last_name,
    comments, gmt_offset_now, called_since_last_reset, list_id
)
VALUES
(1, '2024-01-02 03:04:05', 'NEW', '5551000001', 'José', 'García', NULL, -5.00, 'D', 101),
(2, NULL, 'SALE', '5551000002', 'ann', 'SMITH ', '', 1.00, 'Y10', 102),
(3, '2024-05-06 07:08:09', NULL, '5551000003', NULL, 'Lee', 'x', 0.00, NULL, 101);

CALL la_test_table_hash('vicidial_list', @before);
CALL archive_leads('[3, 1, 2]', TRUE, TRUE, TRUE);
CALL la_test_table_hash('vicidial_list_archive', @after);

CALL la_test_assert(@before = @after, 'archive rows equal the original rows byte for byte');
CALL la_test_assert((SELECT COUNT(*) FROM vicidial_list) = 0, 'vicidial_list is empty');
CALL la_test_assert(
    (SELECT insert_count FROM lead_archive_audit) = 3
    AND (SELECT delete_count FROM lead_archive_audit) = 3,
    'the audit counts 3 inserted and 3 deleted'
);
