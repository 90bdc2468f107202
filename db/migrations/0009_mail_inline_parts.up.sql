-- 0009_mail_inline_parts: a mail's inline parts (the images its HTML shows through cid:
-- URLs), extracted once at import, so that showing a mail never decodes its MIME again
-- (issue 11: the whole mail was decoded once per image, on every view).

-- mail_inline_parts: each part with a Content-ID, keyed as the cid: URL names it.
-- content_type is what the bytes were checked to be by their content, never the type
-- the mail declared: PNG, JPEG, GIF and WebP are shown as images; anything else (an SVG
-- with script in it, say) is application/octet-stream and only ever downloaded.
CREATE TABLE mail_inline_parts (
    -- CASCADE: taken from the mail; purging the mail purges them.
    mail_message_id bigint NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    content_id      text   NOT NULL CHECK (content_id <> ''),
    content_type    text   NOT NULL CHECK (content_type IN
                        ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/octet-stream')),
    filename        text   NOT NULL DEFAULT '',
    data            bytea  NOT NULL,
    PRIMARY KEY (mail_message_id, content_id)
);

-- When the mail's inline parts were extracted. The importer stores a mail and its parts
-- in one transaction, so a mail is marked as it is inserted (the default, set after the
-- column is added so that it does not apply to existing rows). Mails imported before
-- this migration stay NULL: their parts are extracted on the first request for one of
-- their images (ingest.BackfillInlineParts, once per mail) or by a re-parse.
ALTER TABLE mail_messages ADD COLUMN inline_parts_at timestamptz;
ALTER TABLE mail_messages ALTER COLUMN inline_parts_at SET DEFAULT now();
