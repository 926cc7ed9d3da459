-- A lead in the hopper, on a live call, with an agent or an active callback is never deleted.
INSERT INTO vicidial_list (lead_id, phone_number) VALUES
(1, '5551000001'), (2, '5551000002'), (3, '5551000003'), (4, '5551000004'), (5, '5551000005'),
(6, '5551000006');
INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (1, 101);
INSERT INTO vicidial_auto_calls (server_ip, lead_id) VALUES ('10.0.0.1', 2);
INSERT INTO vicidial_live_agents (server_ip, lead_id) VALUES ('10.0.0.1', 3);
INSERT INTO vicidial_callbacks (lead_id, status) VALUES (4, 'ACTIVE'), (5, 'INACTIVE');

CALL archive_leads('[1,2,3,4,5,6]', TRUE, TRUE, TRUE);

CALL la_test_assert(
    (SELECT GROUP_CONCAT(lead_id ORDER BY lead_id) FROM vicidial_list) = '1,2,3,4',
    'busy leads 1-4 stay in vicidial_list'
);
CALL la_test_assert((SELECT COUNT(*) FROM vicidial_list_archive) = 6, 'all six were copied');
