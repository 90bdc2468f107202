-- A mail over the size limit (mail.Limits.MaxMessage, even without its large
-- attachments) is stored cut off rather than refused, so that a mailbox import never
-- stalls on it. The flag says that raw_mime is not the whole mail: the Inbox shows why,
-- and "Re-parse all" leaves such a mail unparsed as the import did (a report read in
-- part could show the wrong status).
ALTER TABLE mail_messages ADD COLUMN truncated boolean NOT NULL DEFAULT false;
