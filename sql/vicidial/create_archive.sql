-- vicidial_list_archive as VICIdial documents it: the definition of vicidial_list (engine
-- included), with lead_id a plain primary key without AUTO_INCREMENT.
CREATE TABLE IF NOT EXISTS vicidial_list_archive LIKE vicidial_list;

ALTER TABLE vicidial_list_archive MODIFY lead_id INT(9) UNSIGNED NOT NULL;
