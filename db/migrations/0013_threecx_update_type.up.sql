-- 3CX's update notifications are backup type 'Update' (singular), as in the reference
-- system, so that job lists exported from it match. Existing jobs, the Inbox's parsed
-- mails and global overrides follow; a job of the new name cannot exist yet (the
-- parser only now produces it), so the matching key stays unique.
UPDATE jobs SET backup_type = 'Update' WHERE backup_software = '3CX' AND backup_type = 'Updates';
UPDATE mail_messages SET parsed_backup_type = 'Update'
WHERE parsed_backup_software = '3CX' AND parsed_backup_type = 'Updates';
UPDATE overrides SET backup_type = 'Update' WHERE backup_software = '3CX' AND backup_type = 'Updates';
