-- override_text_matches: an override's error-text criterion against one message,
-- case-insensitive: contains, exact, starts_with or ends_with. A NULL message never matches.
CREATE FUNCTION override_text_matches(mode text, pattern text, message text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN message IS NOT NULL AND CASE mode
    WHEN 'exact' THEN lower(btrim(message)) = lower(btrim(pattern))
    WHEN 'starts_with' THEN starts_with(lower(message), lower(pattern))
    WHEN 'ends_with' THEN right(lower(message), length(pattern)) = lower(pattern)
    ELSE strpos(lower(message), lower(pattern)) > 0 END;
