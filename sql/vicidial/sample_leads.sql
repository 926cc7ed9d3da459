-- Realistic sample leads for the demo and the benchmarks: varied lists, statuses, NULLs,
-- accents and trailing spaces. The caller sets @sample_first_id and @sample_last_id; MariaDB's
-- Sequence engine numbers the rows.
INSERT INTO vicidial_list (
    lead_id, entry_date, modify_date, status, `user`, vendor_lead_code, source_id, list_id,
    gmt_offset_now, called_since_last_reset, phone_code, phone_number, title, first_name,
    middle_initial, last_name, address1, address2, address3, city, state, province,
    postal_code, country_code, gender, date_of_birth, alt_phone, email, security_phrase,
    comments, called_count, last_local_call_time, `rank`, `owner`, entry_list_id
)
SELECT
    seq.seq AS lead_id,
    '2019-01-01' + INTERVAL (seq.seq * 7919) % 2500000 MINUTE AS entry_date,
    '2024-01-01' + INTERVAL (seq.seq * 104729) % 30000000 SECOND AS modify_date,
    ELT(1 + seq.seq % 8, 'NEW', 'NA', 'SALE', 'DNC', 'CALLBK', 'B', 'DROP', 'A') AS status,
    IF(seq.seq % 5 = 0, NULL, CONCAT('agent', LPAD(seq.seq % 40, 2, '0'))) AS `user`,
    IF(seq.seq % 3 = 0, NULL, CONCAT('V', seq.seq)) AS vendor_lead_code,
    ELT(1 + seq.seq % 3, 'web', 'import ', NULL) AS source_id,
    1000 + seq.seq % 12 AS list_id,
    ELT(1 + seq.seq % 4, -5.00, -6.00, 1.00, 5.50) AS gmt_offset_now,
    ELT(1 + seq.seq % 5, 'Y', 'N', 'Y1', 'Y10', 'D') AS called_since_last_reset,
    '1' AS phone_code,
    CONCAT('555', LPAD(seq.seq % 10000000, 7, '0')) AS phone_number,
    ELT(1 + seq.seq % 4, 'Mr', 'Ms', 'Dr.', NULL) AS title,
    ELT(1 + seq.seq % 9, 'Ann', 'José', 'Zoë', 'Łukasz', 'Smith', 'smith', 'Müller', 'Ñandú', '')
        AS first_name,
    IF(seq.seq % 7 = 0, NULL, CHAR(65 + seq.seq % 26)) AS middle_initial,
    ELT(1 + seq.seq % 8, 'Smith', 'SMITH', 'Lee ', 'García', 'Nguyễn', 'Dvořák', 'D''Angelo', NULL)
        AS last_name,
    CONCAT(seq.seq % 999, ' Main St') AS address1,
    NULL AS address2,
    IF(seq.seq % 2 = 0, '', NULL) AS address3,
    ELT(1 + seq.seq % 5, 'Zürich', 'Miami', 'Paris', 'Orlando', NULL) AS city,
    ELT(1 + seq.seq % 4, 'FL', 'NY', 'TX', NULL) AS state,
    NULL AS province,
    LPAD(seq.seq % 99999, 5, '0') AS postal_code,
    'USA' AS country_code,
    ELT(1 + seq.seq % 3, 'M', 'F', 'U') AS gender,
    IF(seq.seq % 4 = 0, NULL, '1950-01-01' + INTERVAL seq.seq % 18000 DAY) AS date_of_birth,
    IF(seq.seq % 6 = 0, '', NULL) AS alt_phone,
    IF(seq.seq % 3 = 0, NULL, CONCAT('lead', seq.seq, '@example.com')) AS email,
    NULL AS security_phrase,
    ELT(1 + seq.seq % 4, '', 'call back after 5', 'accentué', NULL) AS comments,
    seq.seq % 30 AS called_count,
    IF(seq.seq % 3 = 0, NULL, '2024-06-01' + INTERVAL seq.seq % 500000 MINUTE)
        AS last_local_call_time,
    seq.seq % 10 AS `rank`,
    IF(seq.seq % 10 = 0, 'owner1', '') AS `owner`,
    IF(seq.seq % 2 = 0, 0, 1000 + seq.seq % 12) AS entry_list_id
FROM seq_1_to_4294967295 AS seq
WHERE seq.seq BETWEEN @sample_first_id AND @sample_last_id;
