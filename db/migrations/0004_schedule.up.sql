-- 0004_schedule: the schedule rules of app/schedule in SQL, so missed runs and the Daily
-- Jobs page compute expected runs set-based, with PostgreSQL's time zone data. Each
-- function mirrors a Go function and the tests check that they agree. They read the
-- JSON form of schedule.Schedule, e.g.
-- {"kind":"weekly","weekdays":[1,3,5],"time":"22:00","since":"2025-06-30"}, and never
-- raise on a malformed schedule (schedule.Validate keeps them out; should one get in,
-- it expects nothing or what it can be read as), so one bad row cannot stop the
-- missed-run pass.

-- schedule_effective is the schedule that applies to a job (schedule.Effective): the
-- manual one when locked, or when set and nothing was learned; else the learned one.
CREATE FUNCTION schedule_effective(learned jsonb, manual jsonb, locked boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN locked AND manual IS NOT NULL THEN manual
    WHEN manual IS NOT NULL AND (learned IS NULL OR learned->>'kind' = 'none') THEN manual
    ELSE learned END;

-- schedule_runs_on: whether schedule s expects a run on local date d
-- (Schedule.RunsOn). "since" is compared as text, as Go does: ISO dates sort as dates.
-- No subquery, so the planner inlines it (a call per job and day costs ~8 µs).
CREATE FUNCTION schedule_runs_on(s jsonb, d date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(s->>'since' IS NULL OR s->>'since' <= to_char(d::timestamp, 'YYYY-MM-DD'), false)
   AND coalesce(CASE s->>'kind'
    WHEN 'daily' THEN true
    WHEN 'weekly' THEN s->'weekdays' @> to_jsonb(extract(isodow FROM d)::int)
    -- A day past the month's end means the last day: on the last day, any larger day matches.
    WHEN 'monthly_days' THEN s->'month_days' @> to_jsonb(extract(day FROM d)::int)
        OR (extract(month FROM d + 1) <> extract(month FROM d)
            AND jsonb_path_exists(s, '$.month_days[*] ? (@ > $d)', jsonb_build_object('d', extract(day FROM d)::int), true))
    WHEN 'monthly_nth' THEN s->'nth_weekday' = to_jsonb(extract(isodow FROM d)::int)
        AND CASE WHEN s->'nth' = to_jsonb(-1) THEN extract(month FROM d + 7) <> extract(month FROM d)
                 ELSE s->'nth' = to_jsonb((extract(day FROM d)::int - 1) / 7 + 1) END
    END, false);

-- schedule_dst_instant resolves a wall-clock time within a day of a DST change with
-- schedule.LocalInstant's rules, which differ from AT TIME ZONE's on purpose:
-- AT TIME ZONE reads a time the spring-forward change skips with the offset before the
-- change (02:30 Europe/Amsterdam on 30 March 2025 becomes 03:30 CEST) and a repeated
-- time of the fall-back change as its second occurrence (02:30 CET); the schedule
-- expects the first instant after the gap (03:00 CEST) and the first occurrence
-- (02:30 CEST). Candidates use the offsets a day before and after; in a gap the
-- change instant is found by bisection to the second (changes are on whole seconds).
CREATE FUNCTION schedule_dst_instant(local timestamp, tz text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    off_before interval := ((local - interval '1 day') AT TIME ZONE 'UTC' AT TIME ZONE tz) - (local - interval '1 day');
    off_after  interval := ((local + interval '1 day') AT TIME ZONE 'UTC' AT TIME ZONE tz) - (local + interval '1 day');
    c1 timestamptz := (local - off_before) AT TIME ZONE 'UTC';
    c2 timestamptz := (local - off_after) AT TIME ZONE 'UTC';
    v1 boolean := (c1 AT TIME ZONE tz) = local;
    v2 boolean := (c2 AT TIME ZONE tz) = local;
    lo bigint;
    hi bigint;
    mid bigint;
    hi_off interval;
BEGIN
    IF v1 AND v2 THEN
        RETURN least(c1, c2);
    ELSIF v1 THEN
        RETURN c1;
    ELSIF v2 THEN
        RETURN c2;
    END IF;
    -- In the gap: the change is the first second with the later candidate's offset.
    lo := extract(epoch FROM least(c1, c2))::bigint;
    hi := extract(epoch FROM greatest(c1, c2))::bigint;
    hi_off := (to_timestamp(hi) AT TIME ZONE tz) - (to_timestamp(hi) AT TIME ZONE 'UTC');
    WHILE hi - lo > 1 LOOP
        mid := (lo + hi) / 2;
        IF (to_timestamp(mid) AT TIME ZONE tz) - (to_timestamp(mid) AT TIME ZONE 'UTC') = hi_off THEN
            hi := mid;
        ELSE
            lo := mid;
        END IF;
    END LOOP;
    RETURN to_timestamp(hi);
END $$;

-- schedule_local_instant resolves wall-clock time local in zone tz to an instant
-- (schedule.LocalInstant). Away from DST changes (the offset a day before equals the
-- one a day after) it is plain AT TIME ZONE, inlined; near one, schedule_dst_instant.
CREATE FUNCTION schedule_local_instant(local timestamp, tz text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
    WHEN ((local - interval '1 day') AT TIME ZONE 'UTC' AT TIME ZONE tz) - (local - interval '1 day')
       = ((local + interval '1 day') AT TIME ZONE 'UTC' AT TIME ZONE tz) - (local + interval '1 day')
    THEN local AT TIME ZONE tz
    ELSE schedule_dst_instant(local, tz) END;

-- schedule_expected_at is the instant schedule s expects a run on local date d in zone
-- tz, NULL if none (Schedule.ExpectedAt).
CREATE FUNCTION schedule_expected_at(s jsonb, d date, tz text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN s->>'kind' IN ('daily', 'weekly', 'monthly_days', 'monthly_nth')
                 AND s->>'time' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'
                 AND schedule_runs_on(s, d)
            THEN schedule_local_instant(d + (s->>'time')::time, tz) END;

-- Open missed runs by time: the missed-run pass looks for late real runs for the
-- recent ones (a few thousand of ~7M runs).
CREATE INDEX job_runs_missed_open_idx ON job_runs (run_at) WHERE source_type = 'missed' AND superseded_at IS NULL;
