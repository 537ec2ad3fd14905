-- Value normalizations shared by the staging queries: the DuckDB twins of the
-- expressions in engine/staging_rules.py, with the same names where DuckDB allows.
-- Each definition is spelled out in docs/staging-rules.md ("Value normalization").
-- The runner creates them as TEMP macros on its connection and drops them after.

-- Unicode White_Space, spelled so RE2 matches what Rust's \s matches
-- (engine.staging_rules.WHITESPACE; a test checks the two are equal).
CREATE OR REPLACE TEMP MACRO whitespace() AS '[\t\n\x0B\f\r\x{85}\p{Z}]';

-- engine.staging_rules.EMAIL_PATTERN (a test checks the two are equal).
CREATE OR REPLACE TEMP MACRO email_pattern() AS
    '^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$';

-- Unicode's Cased and Case_Ignorable properties, which decide the Greek final sigma.
-- RE2 has no binary properties, so they are spelled out: Cased is Lu, Ll and Lt plus
-- the Other_Lowercase/Other_Uppercase symbols that are not case-ignorable;
-- Case_Ignorable is Mn, Me, Cf, Lm and Sk plus the apostrophes, dots and colons
-- that Unicode lists as word-internal.
CREATE OR REPLACE TEMP MACRO cased_chars() AS
    '\p{Lu}\p{Ll}\p{Lt}\x{AA}\x{BA}\x{2160}-\x{217F}\x{24B6}-\x{24E9}'
    || '\x{1F130}-\x{1F149}\x{1F150}-\x{1F169}\x{1F170}-\x{1F189}';
CREATE OR REPLACE TEMP MACRO case_ignorable_chars() AS
    '\p{Mn}\p{Me}\p{Cf}\p{Lm}\p{Sk}''.:\x{B7}\x{387}\x{55F}\x{5F4}\x{2018}\x{2019}'
    || '\x{2024}\x{2027}\x{FE13}\x{FE52}\x{FE55}\x{FF07}\x{FF0E}\x{FF1A}';

-- trim: strip leading and trailing whitespace; blank becomes null.
CREATE OR REPLACE TEMP MACRO trim_blank(text) AS
    nullif(regexp_replace(text, '^' || whitespace() || '+|' || whitespace() || '+$', '', 'g'), '');

-- squish: each whitespace run becomes one space, then trim.
CREATE OR REPLACE TEMP MACRO squish(text) AS
    nullif(trim(regexp_replace(text, whitespace() || '+', ' ', 'g')), '');

-- Lower-case with Unicode's full mapping, as Polars (Rust) does. DuckDB maps one code
-- point to one; apart from letters newer than its Unicode tables, the two differ only
-- for the final sigma (a word-final capital sigma becomes 'ς', not 'σ') and for 'İ',
-- which becomes 'i' plus a combining dot above.
CREATE OR REPLACE TEMP MACRO lower_full(text) AS
    lower(replace(
        CASE WHEN contains(text, 'Σ') THEN regexp_replace(
            text,
            '([' || cased_chars() || '][' || case_ignorable_chars() || ']*)Σ'
                || '([' || case_ignorable_chars() || ']*(?:[^' || cased_chars()
                || case_ignorable_chars() || ']|$))',
            '\1ς\2',
            'g'
        ) ELSE text END,
        'İ',
        'i' || chr(775)
    ));

-- Characters whose capital is several characters under Unicode's full mapping
-- (SpecialCasing.txt): ß, ŉ, ǰ, ΐ, ΰ, և, ẖ-ẚ, polytonic Greek with a breathing or a
-- subscript iota, and the Latin and Armenian ligatures ﬀ-ﬆ and ﬓ-ﬗ. title case
-- leaves them as they are; DuckDB's upper() would give one character, Polars several.
CREATE OR REPLACE TEMP MACRO multi_char_capitals() AS
    '\x{DF}\x{149}\x{1F0}\x{390}\x{3B0}\x{587}\x{1E96}-\x{1E9A}\x{1F50}\x{1F52}\x{1F54}'
    || '\x{1F56}\x{1F80}-\x{1FAF}\x{1FB2}-\x{1FB4}\x{1FB6}\x{1FB7}\x{1FBC}\x{1FC2}-\x{1FC4}'
    || '\x{1FC6}\x{1FC7}\x{1FCC}\x{1FD2}\x{1FD3}\x{1FD6}\x{1FD7}\x{1FE2}-\x{1FE4}\x{1FE6}'
    || '\x{1FE7}\x{1FF2}-\x{1FF4}\x{1FF6}\x{1FF7}\x{1FFC}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}';

-- Upper-case the first character of `part`, unless its capital is several characters.
CREATE OR REPLACE TEMP MACRO capitalize(part) AS
    CASE
        WHEN regexp_matches(part, '^[' || multi_char_capitals() || ']') THEN part
        ELSE upper(left(part, 1)) || substr(part, 2)
    END;

-- Capitalize every part of `text` split at `sep`.
CREATE OR REPLACE TEMP MACRO capitalize_parts(text, sep) AS
    array_to_string(list_transform(string_split(text, sep), lambda part: capitalize(part)), sep);

-- title case: lower-case everything, then capitalize the first character and every
-- character after a space, hyphen or apostrophe (TITLE_BREAKS, in that order).
CREATE OR REPLACE TEMP MACRO title_case(text) AS
    capitalize_parts(capitalize_parts(capitalize_parts(lower_full(text), ' '), '-'), '''');

-- single-case name: no upper-case letter, or no lower-case letter.
CREATE OR REPLACE TEMP MACRO is_single_case(text) AS
    NOT regexp_matches(text, '\p{Lu}') OR NOT regexp_matches(text, '\p{Ll}');

-- name standardization: squish; title-case only single-case names.
CREATE OR REPLACE TEMP MACRO standardize_name(text) AS
    CASE WHEN is_single_case(squish(text)) THEN title_case(squish(text)) ELSE squish(text) END;

-- email: trim, lower-case; valid when the normalized form matches EMAIL_PATTERN.
CREATE OR REPLACE TEMP MACRO normalize_email(text) AS lower_full(trim_blank(text));
CREATE OR REPLACE TEMP MACRO is_valid_email(email) AS regexp_matches(email, email_pattern());

-- Null, or NaN for floats: pandas treated NaN as missing, so the rules do too.
CREATE OR REPLACE TEMP MACRO is_missing(value) AS value IS NULL OR isnan(value);

-- money: float -> whole cents, half away from zero at float64 precision (still a float).
CREATE OR REPLACE TEMP MACRO cents(amount) AS round(amount * 100);

-- Whether the rounded amount reaches `limit_cents`, 10^p for a NUMERIC(p, 2) column.
CREATE OR REPLACE TEMP MACRO money_too_large(amount, limit_cents) AS
    abs(cents(amount)) >= limit_cents;

-- Cents as an exact decimal. DECIMAL / INTEGER gives a DOUBLE in DuckDB, while
-- DECIMAL * 0.01 stays exact; TRY_CAST keeps amounts too large for BIGINT (and NaN,
-- inf) null instead of failing, as Polars' non-strict cast does: rules reject them.
CREATE OR REPLACE TEMP MACRO to_decimal_money(amount) AS
    CAST(TRY_CAST(cents(amount) AS BIGINT) AS DECIMAL(38, 0)) * 0.01;
