-- 0017_mail_matching: how a report mail becomes a run (issue 12, items 2 and 4).

-- A report's own identity (its status and the start/end clock times as written in
-- it, whatever zone they were read in), so that the same report received twice (a
-- forwarded copy) becomes one run: processing uses it as the run's external_id.
-- NULL when the report gives no usable start time; such a mail's run is keyed by the
-- mail itself.
ALTER TABLE mail_messages ADD COLUMN parsed_report_key text;
-- Why the run's times are not simply the report's: read in the UI timezone because the
-- Date header's offset could not be the sender's, or dated at the mail's arrival
-- because the report claims a later time. Copied onto the run, shown with its time.
ALTER TABLE mail_messages ADD COLUMN parsed_time_note text;
ALTER TABLE job_runs ADD COLUMN time_note text;

-- subject_pattern_like turns a job match rule's subject pattern, where * stands for
-- any text and everything else is literal, into an ILIKE pattern.
CREATE FUNCTION subject_pattern_like(pattern text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT replace(replace(replace(replace(pattern, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%') $$;

-- job_match_rules: how mail of a product no parser knows finds its job. The generic
-- parser reads only a status, so such a mail has no job name; when an approver names
-- its job, the rule (sender + subject pattern) is stored and processing matches later
-- mails by it (app/ingest ProcessMails). One rule per job, edited on Job Details.
CREATE TABLE job_match_rules (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- CASCADE: the rule is part of the job; deleting the job returns its mails to the
    -- Inbox, where they can be approved (and a rule made) again.
    job_id          bigint NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    from_address    text NOT NULL CHECK (from_address <> '' AND from_address = lower(from_address)),
    -- Matched against the whole subject, case-insensitively; * is any text. A pattern of
    -- wildcards only would take every unrecognised mail of the sender.
    subject_pattern text NOT NULL CHECK (btrim(subject_pattern, '* ') <> '' AND length(subject_pattern) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- Processing looks rules up by the mail's sender.
CREATE INDEX job_match_rules_from_address_idx ON job_match_rules (from_address);
