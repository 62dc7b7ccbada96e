"""Every schema change, as a versioned sqlite-utils migration.

Add a new migration at the end; never edit one that has shipped. ``migrate(db)`` applies
whatever is pending and is safe to run again.
"""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database, Migrations

migrations = Migrations("hotspots")

CORE_TABLES_SQL = """
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('worker', 'manager', 'admin')),
    team_id INTEGER REFERENCES teams(id),
    password_hash TEXT
);
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    case_ref TEXT NOT NULL UNIQUE,
    initials TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    worker_id INTEGER REFERENCES staff(id),
    opened_on TEXT NOT NULL,
    closed_on TEXT,
    visit_every_days INTEGER NOT NULL,
    last_visit_on TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    -- set whenever anything that feeds the score changes: the sweep rescores these
    changed_at TEXT
);
CREATE INDEX cases_worker ON cases(worker_id, status);
CREATE INDEX cases_team ON cases(team_id, status);
CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    indicator TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_by_id INTEGER REFERENCES staff(id),
    status TEXT NOT NULL CHECK (status IN ('current', 'resolved', 'refuted')),
    note TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    status_reason TEXT,
    status_changed_at TEXT,
    status_changed_by_id INTEGER REFERENCES staff(id)
);
CREATE INDEX observations_case ON observations(case_id, indicator, status);
CREATE TABLE enquiries (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    topic TEXT NOT NULL CHECK (topic IN ('domestic_abuse', 'parental_childhood')),
    asked_on TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('disclosed', 'not_disclosed', 'unable_to_ask')),
    recorded_by_id INTEGER REFERENCES staff(id),
    recorded_at TEXT NOT NULL,
    UNIQUE (case_id, topic, asked_on)
);
CREATE TABLE scores (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    as_of TEXT NOT NULL,
    score REAL NOT NULL,
    band TEXT NOT NULL CHECK (band IN ('red', 'amber', 'green')),
    rank INTEGER,
    contributions TEXT NOT NULL DEFAULT '[]',
    model_version TEXT NOT NULL,
    computed_at TEXT NOT NULL
);
CREATE TABLE score_history (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    day TEXT NOT NULL,
    score REAL NOT NULL,
    band TEXT NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (case_id, day)
) WITHOUT ROWID;
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    reviewed_by_id INTEGER NOT NULL REFERENCES staff(id),
    reviewed_at TEXT NOT NULL,
    plan TEXT NOT NULL
);
CREATE INDEX reviews_case ON reviews(case_id, reviewed_at);
CREATE TABLE adjustments (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    points REAL NOT NULL,
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    expires_on TEXT NOT NULL,
    made_by_id INTEGER NOT NULL REFERENCES staff(id),
    made_at TEXT NOT NULL
);
CREATE INDEX adjustments_case ON adjustments(case_id, expires_on);
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    manager_id INTEGER NOT NULL REFERENCES staff(id),
    digest_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
    claimed_at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT,
    last_error TEXT,
    subject TEXT,
    message_id TEXT,
    UNIQUE (manager_id, digest_date)
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES staff(id),
    actor_email TEXT,
    action TEXT NOT NULL,
    case_ref TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_actor ON audit_log(actor_email, at);
CREATE INDEX audit_log_case ON audit_log(case_ref, at);
"""


@migrations()
def m001_core_tables(db: Database) -> None:
    for statement in statements(CORE_TABLES_SQL):
        db.execute(statement)


def statements(script: str) -> list[str]:
    """Split a script into whole statements (executescript would commit the migration's
    transaction half-way)."""
    result, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            result.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement: {current.strip()[:60]}")
    return result


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


SCORING_COLUMNS_SQL = """
-- Day number (days since 1970-01-01) of each observation, computed by SQLite itself so every
-- writer gets it free; indexed below so the whole-authority rescore reads only the index.
ALTER TABLE observations ADD COLUMN observed_day INTEGER
    GENERATED ALWAYS AS (unixepoch(observed_on) / 86400) VIRTUAL;
CREATE INDEX observations_scoring ON observations(indicator, status, case_id, observed_day);
-- The caseload a score's rank belongs to, so a reallocated case's old caseload is re-ranked
-- and a caseload is read from scores alone.
ALTER TABLE scores ADD COLUMN worker_id INTEGER REFERENCES staff(id);
CREATE INDEX scores_worker ON scores(worker_id, rank);
"""


@migrations()
def m010_scoring_observation_days(db: Database) -> None:
    for statement in statements(SCORING_COLUMNS_SQL):
        db.execute(statement)


CHANGE_TRACKING_SQL = """
-- The cases whose score may have changed since they were last scored. Every write that can
-- change a score marks its case here, in the writer's own transaction, through the triggers
-- below (whoever writes: an import, a page, the API, a shell); a rescore removes exactly the
-- marks it consumed, in its own transaction. No clocks are compared.
CREATE TABLE rescore_queue (
    case_id INTEGER PRIMARY KEY
);
-- One row of facts about the stored ranking: the model version that made the current scores
-- (so the sweep need not read every score to find out).
CREATE TABLE scoring_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    model_version TEXT NOT NULL,
    as_of TEXT NOT NULL,
    computed_at TEXT NOT NULL
);
CREATE TRIGGER cases_marked_on_insert AFTER INSERT ON cases
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (NEW.id);
END;
CREATE TRIGGER cases_marked_on_update
AFTER UPDATE OF date_of_birth, opened_on, worker_id, visit_every_days, last_visit_on, status
ON cases
WHEN OLD.date_of_birth IS NOT NEW.date_of_birth OR OLD.opened_on IS NOT NEW.opened_on
    OR OLD.worker_id IS NOT NEW.worker_id OR OLD.visit_every_days IS NOT NEW.visit_every_days
    OR OLD.last_visit_on IS NOT NEW.last_visit_on OR OLD.status IS NOT NEW.status
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (NEW.id);
END;
CREATE TRIGGER observations_marked_on_insert AFTER INSERT ON observations
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER observations_marked_on_update
AFTER UPDATE OF case_id, indicator, observed_on, source, status ON observations
WHEN OLD.case_id IS NOT NEW.case_id OR OLD.indicator IS NOT NEW.indicator
    OR OLD.observed_on IS NOT NEW.observed_on OR OLD.source IS NOT NEW.source
    OR OLD.status IS NOT NEW.status
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (OLD.case_id), (NEW.case_id);
END;
CREATE TRIGGER observations_marked_on_delete AFTER DELETE ON observations
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id)
    SELECT OLD.case_id WHERE EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id);
END;
CREATE TRIGGER enquiries_marked_on_insert AFTER INSERT ON enquiries
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER enquiries_marked_on_update AFTER UPDATE ON enquiries
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (OLD.case_id), (NEW.case_id);
END;
CREATE TRIGGER enquiries_marked_on_delete AFTER DELETE ON enquiries
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id)
    SELECT OLD.case_id WHERE EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id);
END;
CREATE TRIGGER adjustments_marked_on_insert AFTER INSERT ON adjustments
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER adjustments_marked_on_update AFTER UPDATE ON adjustments
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (OLD.case_id), (NEW.case_id);
END;
CREATE TRIGGER adjustments_marked_on_delete AFTER DELETE ON adjustments
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id)
    SELECT OLD.case_id WHERE EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id);
END;
-- What the clock comparison used to find: open cases never scored or changed since, and
-- closed cases still ranked.
INSERT OR IGNORE INTO rescore_queue (case_id)
SELECT c.id FROM cases AS c LEFT JOIN scores AS s ON s.case_id = c.id
WHERE (c.status = 'open' AND (s.case_id IS NULL OR c.changed_at IS NOT NULL))
   OR (c.status = 'closed' AND s.case_id IS NOT NULL);
ALTER TABLE cases DROP COLUMN changed_at;
"""


@migrations()
def m020_change_tracking(db: Database) -> None:
    for statement in statements(CHANGE_TRACKING_SQL):
        db.execute(statement)


SCORE_FACTS_SQL = """
-- What the lists and the digest filter on, written with every score by the same rules that
-- made it (hotspots.model.rules): the practice gaps as a mask of hotspots.model.rules.GAP_BITS,
-- and how many indicators are current.
ALTER TABLE scores ADD COLUMN practice_gaps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scores ADD COLUMN current_concerns INTEGER NOT NULL DEFAULT 0;
-- Scores made before these columns existed are remade by the next sweep (a new model
-- version), so nothing is read from a column that was never filled.
DELETE FROM scoring_state;
"""


@migrations()
def m021_score_facts(db: Database) -> None:
    for statement in statements(SCORE_FACTS_SQL):
        db.execute(statement)


COVERING_CASE_INDEX_SQL = """
-- One case's observations with everything the accumulation rule reads (the day and the
-- agency), so the whole-authority rescore counts each young child's agencies from the index
-- alone. Replaces the narrower index of the same name and purpose.
DROP INDEX observations_case;
CREATE INDEX observations_case
    ON observations(case_id, indicator, status, observed_day, source);
"""


@migrations()
def m022_covering_case_index(db: Database) -> None:
    for statement in statements(COVERING_CASE_INDEX_SQL):
        db.execute(statement)


SECURITY_SQL = """
-- Server-side sessions: the signed cookie carries a random token, this table its SHA-256,
-- so a session ends on the server (sign-out, an admin, a disabled account, a new password)
-- whatever copies of the cookie exist. expires_at is the absolute lifetime (UTC).
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT,
    ended_reason TEXT
);
CREATE INDEX sessions_staff ON sessions(staff_id, ended_at);
-- Failed sign-ins in the throttling window: the account as a SHA-256 of the lower-cased
-- email typed (never the text, which may be a mistyped password) and the client address.
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    account_hash TEXT NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX sign_in_failures_account ON sign_in_failures(account_hash, at);
CREATE INDEX sign_in_failures_client ON sign_in_failures(client, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures(at);
-- A leaver: cannot sign in; the row stays for the history it is named in.
ALTER TABLE staff ADD COLUMN disabled_at TEXT;
-- The audit page filters by action and date.
CREATE INDEX audit_log_action ON audit_log(action, at);
CREATE INDEX audit_log_at ON audit_log(at);
"""


@migrations()
def m030_security(db: Database) -> None:
    for statement in statements(SECURITY_SQL):
        db.execute(statement)


IMPORT_REPORTS_SQL = """
-- Every import's report (what was read, changed or would change, skipped, not mapped, and
-- the errors), kept with the audit row that records the import: one per import attempt,
-- whether it was imported, a dry run, or rejected.
CREATE TABLE import_reports (
    audit_id INTEGER PRIMARY KEY REFERENCES audit_log(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'dry_run', 'rejected')),
    report TEXT NOT NULL
);
"""


@migrations()
def m040_import_reports(db: Database) -> None:
    for statement in statements(IMPORT_REPORTS_SQL):
        db.execute(statement)


PARTNER_API_SQL = """
-- Partner systems (one agency each) that push observations through the JSON API.
CREATE TABLE partners (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
-- A partner's bearer tokens, as SHA-256 hashes only. A rotated-out token keeps working until
-- expires_at, so the partner can switch without a gap; revoking ends every token at once.
CREATE TABLE partner_tokens (
    id INTEGER PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX partner_tokens_partner ON partner_tokens(partner_id);
-- Requests per partner in the current one-minute window (the API's rate limit).
CREATE TABLE partner_rate (
    partner_id INTEGER PRIMARY KEY REFERENCES partners(id),
    minute INTEGER NOT NULL,
    requests INTEGER NOT NULL
);
-- Which partner sent an observation, and the partner's own reference for it: unique per
-- partner, so two partners' references never collide.
ALTER TABLE observations ADD COLUMN partner_id INTEGER REFERENCES partners(id);
ALTER TABLE observations ADD COLUMN partner_ref TEXT;
CREATE UNIQUE INDEX observations_partner_ref ON observations(partner_id, partner_ref)
    WHERE partner_id IS NOT NULL;
-- Items a partner sent about a child no open case matches: kept until a manager or admin
-- attaches them to a case (which makes an observation) or dismisses them with a reason.
CREATE TABLE unmatched_observations (
    id INTEGER PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    partner_ref TEXT NOT NULL,
    case_ref TEXT,
    nhs_number TEXT,
    indicator TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('current', 'resolved', 'refuted')),
    note TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    why TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'attached', 'dismissed')),
    observation_id INTEGER REFERENCES observations(id),
    resolved_by_id INTEGER REFERENCES staff(id),
    resolved_at TEXT,
    dismiss_reason TEXT,
    UNIQUE (partner_id, partner_ref)
);
CREATE INDEX unmatched_observations_state ON unmatched_observations(state, received_at);
-- The child's NHS number (10 digits, check digit verified on the way in): used only to match
-- partners' notifications to a case, never shown in lists or emails.
ALTER TABLE cases ADD COLUMN nhs_number TEXT;
CREATE INDEX cases_nhs_number ON cases(nhs_number) WHERE nhs_number IS NOT NULL;
"""


@migrations()
def m050_partner_api(db: Database) -> None:
    for statement in statements(PARTNER_API_SQL):
        db.execute(statement)


VISITS_SQL = """
-- Visits recorded from the case page: the visit history. Recording one where the child was
-- seen moves cases.last_visit_on in the same transaction (the m020 trigger marks the case).
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    visited_on TEXT NOT NULL,
    child_seen INTEGER NOT NULL CHECK (child_seen IN (0, 1)),
    -- NULL when the child was not seen
    seen_alone INTEGER CHECK (seen_alone IN (0, 1)),
    note TEXT NOT NULL DEFAULT '',
    recorded_by_id INTEGER NOT NULL REFERENCES staff(id),
    recorded_at TEXT NOT NULL,
    CHECK (child_seen = 1 OR seen_alone IS NULL)
);
CREATE INDEX visits_case ON visits(case_id, visited_on);
"""


@migrations()
def m060_visits(db: Database) -> None:
    for statement in statements(VISITS_SQL):
        db.execute(statement)


CORRECTIONS_SQL = """
-- Corrections keep history: nothing is deleted.
-- An adjustment withdrawn early: its expires_on becomes the day before the withdrawal (so
-- every reader stops counting it from that day) and the expiry it was made with is kept.
ALTER TABLE adjustments ADD COLUMN withdrawn_at TEXT;
ALTER TABLE adjustments ADD COLUMN withdrawn_by_id INTEGER REFERENCES staff(id);
ALTER TABLE adjustments ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE adjustments ADD COLUMN expires_on_as_made TEXT;
-- An enquiry or a review entered in error: it stays in the history and counts for nothing.
ALTER TABLE enquiries ADD COLUMN entered_in_error_at TEXT;
ALTER TABLE enquiries ADD COLUMN entered_in_error_by_id INTEGER REFERENCES staff(id);
ALTER TABLE enquiries ADD COLUMN entered_in_error_reason TEXT;
ALTER TABLE reviews ADD COLUMN entered_in_error_at TEXT;
ALTER TABLE reviews ADD COLUMN entered_in_error_by_id INTEGER REFERENCES staff(id);
ALTER TABLE reviews ADD COLUMN entered_in_error_reason TEXT;
-- What every reader of enquiries and reviews should read: the ones not entered in error.
CREATE VIEW valid_enquiries AS
SELECT * FROM enquiries WHERE entered_in_error_at IS NULL;
CREATE VIEW valid_reviews AS
SELECT * FROM reviews WHERE entered_in_error_at IS NULL;
"""


@migrations()
def m061_corrections(db: Database) -> None:
    for statement in statements(CORRECTIONS_SQL):
        db.execute(statement)


SEARCH_INDEX_SQL = """
-- Finding a case by its initials (by reference uses the reference's own unique index).
CREATE INDEX cases_initials ON cases(initials);
"""


@migrations()
def m062_search_index(db: Database) -> None:
    for statement in statements(SEARCH_INDEX_SQL):
        db.execute(statement)


FORM_DRAFTS_SQL = """
-- What someone typed into a case's form when their session had already expired, kept so that
-- it is put back in the form once they sign in again (hotspots.web.drafts); deleted when put
-- back, and after a day.
CREATE TABLE form_drafts (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    path TEXT NOT NULL,
    data TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE INDEX form_drafts_staff ON form_drafts(staff_id, path);
"""


@migrations()
def m063_form_drafts(db: Database) -> None:
    for statement in statements(FORM_DRAFTS_SQL):
        db.execute(statement)


PEOPLE_SQL = """
-- Admins manage people in the browser (staff.disabled_at comes with m030_security).
-- One-time links to set a password: only a hash of the token is kept; a link works once,
-- until it expires, and a newer link for the same person replaces it.
CREATE TABLE password_links (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by_id INTEGER REFERENCES staff(id),
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_links_staff ON password_links(staff_id);
"""


@migrations()
def m064_people(db: Database) -> None:
    for statement in statements(PEOPLE_SQL):
        db.execute(statement)


ENQUIRY_ONCE_SQL = """
-- An enquiry entered in error no longer holds its (case, topic, day): the worker can record
-- the right one for the same day. SQLite cannot drop a table's UNIQUE constraint, so the
-- table is rebuilt (same columns, same rows, same ids), with a partial unique index instead,
-- and its change triggers and the valid_enquiries view made again.
CREATE TABLE enquiries_rebuilt (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    topic TEXT NOT NULL CHECK (topic IN ('domestic_abuse', 'parental_childhood')),
    asked_on TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('disclosed', 'not_disclosed', 'unable_to_ask')),
    recorded_by_id INTEGER REFERENCES staff(id),
    recorded_at TEXT NOT NULL,
    entered_in_error_at TEXT,
    entered_in_error_by_id INTEGER REFERENCES staff(id),
    entered_in_error_reason TEXT
);
INSERT INTO enquiries_rebuilt
    (id, case_id, topic, asked_on, outcome, recorded_by_id, recorded_at, entered_in_error_at,
     entered_in_error_by_id, entered_in_error_reason)
SELECT id, case_id, topic, asked_on, outcome, recorded_by_id, recorded_at, entered_in_error_at,
       entered_in_error_by_id, entered_in_error_reason
FROM enquiries;
DROP VIEW valid_enquiries;
DROP TABLE enquiries;
ALTER TABLE enquiries_rebuilt RENAME TO enquiries;
CREATE UNIQUE INDEX enquiries_once ON enquiries(case_id, topic, asked_on)
    WHERE entered_in_error_at IS NULL;
CREATE INDEX enquiries_case ON enquiries(case_id, topic, asked_on);
CREATE VIEW valid_enquiries AS
SELECT * FROM enquiries WHERE entered_in_error_at IS NULL;
CREATE TRIGGER enquiries_marked_on_insert AFTER INSERT ON enquiries
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER enquiries_marked_on_update AFTER UPDATE ON enquiries
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id) VALUES (OLD.case_id), (NEW.case_id);
END;
CREATE TRIGGER enquiries_marked_on_delete AFTER DELETE ON enquiries
BEGIN
    INSERT OR IGNORE INTO rescore_queue (case_id)
    SELECT OLD.case_id WHERE EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id);
END;
"""


@migrations()
def m070_enquiry_once_unless_in_error(db: Database) -> None:
    for statement in statements(ENQUIRY_ONCE_SQL):
        db.execute(statement)


INDICATOR_SUMS_SQL = """
-- What the whole-authority rescore reads instead of every observation: per case and
-- indicator, the latest day of its current observations and the sum of their decay factors
-- taken from that day, sum(0.5 ^ ((last_day - observed_day) / half-life)). Its points on any
-- scoring day on or after last_day follow from these two numbers (hotspots.storage.scores).
-- Derived data only, rebuilt whenever it is in doubt; no foreign keys, so that it never
-- holds up the removal of a case.
CREATE TABLE indicator_sums (
    case_id INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    last_day INTEGER NOT NULL,
    decay_sum REAL NOT NULL,
    PRIMARY KEY (case_id, indicator)
) WITHOUT ROWID;
-- Whether any sum runs past a scoring day (then the rescore reads the observations instead).
CREATE INDEX indicator_sums_last_day ON indicator_sums(last_day);
-- For the accumulation rule, per case and agency (source): the last day on which any of the
-- agency's current observations of the case is still current (observed_day + the indicator's
-- half-life, hotspots.model.rules.is_current; the largest integer for one that does not fade). The
-- case's current agencies on a day are the rows with current_until on or after it.
CREATE TABLE agency_days (
    case_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    current_until INTEGER NOT NULL,
    PRIMARY KEY (case_id, source)
) WITHOUT ROWID;
-- The half-life each indicator's sums (and agency days) were worked out with: a change in
-- the settings rebuilds them all.
CREATE TABLE indicator_sums_half_lives (
    indicator TEXT PRIMARY KEY,
    half_life_days INTEGER NOT NULL
);
-- Cases whose sums and agency days are out of date: marked by the triggers below in the
-- writer's own transaction; the whole-authority rescore works them out again and removes
-- exactly these marks in its own. No clocks are compared.
CREATE TABLE indicator_sums_stale (
    case_id INTEGER PRIMARY KEY
);
CREATE TRIGGER observations_sums_stale_on_insert AFTER INSERT ON observations
WHEN NEW.status = 'current'
BEGIN
    INSERT OR IGNORE INTO indicator_sums_stale (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER observations_sums_stale_on_update
AFTER UPDATE OF case_id, indicator, observed_on, source, status ON observations
WHEN (OLD.status = 'current' OR NEW.status = 'current')
    AND (OLD.case_id IS NOT NEW.case_id OR OLD.indicator IS NOT NEW.indicator
         OR OLD.observed_on IS NOT NEW.observed_on OR OLD.source IS NOT NEW.source
         OR OLD.status IS NOT NEW.status)
BEGIN
    INSERT OR IGNORE INTO indicator_sums_stale (case_id) VALUES (OLD.case_id), (NEW.case_id);
END;
CREATE TRIGGER observations_sums_stale_on_delete AFTER DELETE ON observations
WHEN OLD.status = 'current'
BEGIN
    INSERT OR IGNORE INTO indicator_sums_stale (case_id) VALUES (OLD.case_id);
END;
-- A case removed (retention) takes its sums and its mark with it.
CREATE TRIGGER cases_sums_on_delete AFTER DELETE ON cases
BEGIN
    DELETE FROM indicator_sums WHERE case_id = OLD.id;
    DELETE FROM agency_days WHERE case_id = OLD.id;
    DELETE FROM indicator_sums_stale WHERE case_id = OLD.id;
END;
"""


@migrations()
def m081_indicator_sums(db: Database) -> None:
    # Empty, with no half-lives recorded: the first whole-authority rescore builds them all.
    for statement in statements(INDICATOR_SUMS_SQL):
        db.execute(statement)


RANKS_WHEN_READ_SQL = """
-- A case's rank in its caseload is worked out when it is read (hotspots.storage.rules.RANK):
-- it is only ever read for one case, one caseload or a page of a list, so storing every
-- caseload's ranks on each rescore was wasted work. This index is what a rank is counted
-- from: the caseload's scores above the case, in (score, case_id) order.
DROP INDEX scores_worker;
ALTER TABLE scores DROP COLUMN rank;
CREATE INDEX scores_worker ON scores(worker_id, score, case_id);
"""


@migrations()
def m082_ranks_when_read(db: Database) -> None:
    for statement in statements(RANKS_WHEN_READ_SQL):
        db.execute(statement)


REVIEW_PATTERN_SQL = """
-- Whether the case matched the review's pattern on its scoring day ([scoring.review_pattern]),
-- stored by the code that made the score (as practice_gaps is), so that the lists, the digest
-- and the partnership's figures never work the rule out again.
ALTER TABLE scores ADD COLUMN review_pattern INTEGER NOT NULL DEFAULT 0;
"""


@migrations()
def m090_review_pattern(db: Database) -> None:
    # Existing scores say 0 until the next rescore: a new model version (the formula changed)
    # makes the next sweep rescore the whole authority.
    for statement in statements(REVIEW_PATTERN_SQL):
        db.execute(statement)


UNBORN_CHILDREN_SQL = """
-- An unborn child on a pre-birth plan (Annex A List 6 or 7, the CIN census's
-- ExpectedPersonBirthDate) is a case before its birth. birth_status says what date_of_birth
-- holds, so the age arithmetic (the under-one multiplier, the accumulation rule, the derived
-- rules' age test, in the model and in the set-based rescore) needs no second column:
--   born          the date of birth;
--   due           unborn: the expected date of birth (usually ahead, so the child is under one);
--   due_unknown   unborn, no expected date given: the day the service first read the child
--                 as unborn (so under one until a file gives the birth or the due date).
-- A later file that gives the date of birth makes it 'born'.
ALTER TABLE cases ADD COLUMN birth_status TEXT NOT NULL DEFAULT 'born'
    CHECK (birth_status IN ('born', 'due', 'due_unknown'));
"""


@migrations()
def m100_unborn_children(db: Database) -> None:
    for statement in statements(UNBORN_CHILDREN_SQL):
        db.execute(statement)


FOLLOW_THROUGH_SQL = """
-- From a ranked list to follow-through (issue 20). A review now records the decision: agree and
-- act (with one or more actions), or disagree with the score (with the reason). Reviews made
-- before this migration recorded only a plan: their decision is NULL.
ALTER TABLE reviews ADD COLUMN decision TEXT CHECK (decision IN ('act', 'disagree'));
ALTER TABLE reviews ADD COLUMN disagree_reason TEXT;
-- The score as the reviewer saw it, so a report counts what was reviewed, not today's score.
ALTER TABLE reviews ADD COLUMN score REAL;
ALTER TABLE reviews ADD COLUMN band TEXT;
ALTER TABLE reviews ADD COLUMN model_version TEXT;
-- What that score was made of, one row per contribution (indicator, combination, practice gap,
-- adjustment...), and whether the reviewer disagreed with it: "the share of hotspot reviews
-- where the worker disagreed with the score, by indicator" is one GROUP BY over this table.
CREATE TABLE review_contributions (
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    points REAL NOT NULL,
    disagreed INTEGER NOT NULL DEFAULT 0 CHECK (disagreed IN (0, 1)),
    PRIMARY KEY (review_id, code)
) WITHOUT ROWID;
CREATE INDEX review_contributions_code ON review_contributions(code, disagreed);
-- An action agreed about a case (at a review, or later), owned by one member of staff with a
-- due date, tracked until it is closed: done, or not done, with what happened. Nothing is
-- deleted; a case's look-back reads whether and when it was reviewed and what came of it.
CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    review_id INTEGER REFERENCES reviews(id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_id INTEGER NOT NULL REFERENCES staff(id),
    due_on TEXT NOT NULL,
    created_by_id INTEGER NOT NULL REFERENCES staff(id),
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'not_done')),
    closed_at TEXT,
    closed_by_id INTEGER REFERENCES staff(id),
    outcome TEXT,
    CHECK ((state = 'open') = (closed_at IS NULL))
);
CREATE INDEX actions_case ON actions(case_id, state);
CREATE INDEX actions_owner ON actions(owner_id, state, due_on);
CREATE INDEX actions_open_due ON actions(state, due_on);
-- A case moved between workers by hand (allocated, reallocated, a leaver's cases moved or
-- left unallocated): from whom, to whom (NULL: left unallocated), why, by whom and when. The
-- reason stays here, not in the audit log, which records only that it happened.
CREATE TABLE allocations (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    from_worker_id INTEGER REFERENCES staff(id),
    to_worker_id INTEGER REFERENCES staff(id),
    reason TEXT NOT NULL,
    made_by_id INTEGER REFERENCES staff(id),
    made_at TEXT NOT NULL
);
CREATE INDEX allocations_case ON allocations(case_id, made_at);
"""


@migrations()
def m110_follow_through(db: Database) -> None:
    for statement in statements(FOLLOW_THROUGH_SQL):
        db.execute(statement)


def rebuild_table(db: Database, table: str, old: str, new: str) -> None:
    """Rebuild ``table`` with the text ``old`` in its CREATE TABLE statement replaced by
    ``new``: for a constraint SQLite cannot alter in place (a CHECK). SQLite's own procedure
    (https://sqlite.org/lang_altertable.html#otheralter): the table is made again from its
    own stored statement, so it keeps every column it has now, whichever migration added it,
    with its rows and ids; its indexes and triggers are made again from theirs; the foreign
    keys other tables hold to it work again once it has its name back (checked before the
    commit). Run outside any transaction, since foreign keys can be switched off only there;
    safe to run again (a table already rebuilt is left alone)."""
    if db.conn.in_transaction:
        raise RuntimeError(f"rebuilding {table} must run outside a transaction")
    create = db.execute(SELECT_TABLE_SQL, {"table": table}).fetchone()[0]
    if new in create:
        return
    if create.count(old) != 1:
        raise RuntimeError(f"the {table} table's statement does not hold {old!r} once: {create}")
    rebuilt = f"{table}_rebuilt"
    statement = re.sub(
        r'^CREATE TABLE\s+(?:"[^"]+"|\[[^\]]+\]|`[^`]+`|\w+)',
        f'CREATE TABLE "{rebuilt}"',
        create.replace(old, new),
        count=1,
    )
    others = [row[0] for row in db.execute(SELECT_TABLE_PARTS_SQL, {"table": table})]
    # Generated columns are worked out again by the new table, never copied.
    columns = ", ".join(
        f'"{row[0]}"' for row in db.execute(SELECT_STORED_COLUMNS_SQL, {"table": table})
    )
    legacy = db.execute("PRAGMA legacy_alter_table").fetchone()[0]
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(statement)
            # Names from the schema itself, no values.
            copy = f'INSERT INTO "{rebuilt}" ({columns}) SELECT {columns} FROM "{table}"'  # noqa: S608
            db.execute(copy)
            db.execute(f'DROP TABLE "{table}"')
            # Views and triggers elsewhere name the table, not the new one: leave them as they are.
            db.execute("PRAGMA legacy_alter_table = ON")
            db.execute(f'ALTER TABLE "{rebuilt}" RENAME TO "{table}"')
            db.execute(f"PRAGMA legacy_alter_table = {int(legacy)}")
            for part in others:
                db.execute(part)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise sqlite3.IntegrityError(f"rebuilding {table} broke foreign keys: {broken[:5]}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            db.execute(f"PRAGMA legacy_alter_table = {int(legacy)}")
            raise
    finally:
        db.execute("PRAGMA foreign_keys = ON")


SELECT_TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"
# A table's own indexes and triggers (those SQLite makes for a UNIQUE constraint have no SQL:
# the table's statement makes them again).
SELECT_TABLE_PARTS_SQL = """
SELECT sql FROM sqlite_master
WHERE tbl_name = :table AND type IN ('index', 'trigger') AND sql IS NOT NULL
ORDER BY type, name
"""
SELECT_STORED_COLUMNS_SQL = "SELECT name FROM pragma_table_xinfo(:table) WHERE hidden = 0"

STAFF_ROLE_CHECK = "CHECK (role IN ('worker', 'manager', 'admin'))"
STAFF_ROLE_CHECK_WITH_PARTNERSHIP = "CHECK (role IN ('worker', 'manager', 'admin', 'partnership'))"


@migrations(transactional=False)
def m120_partnership_role(db: Database) -> None:
    # The safeguarding partnership's business lead or task force member: sees the
    # partnership's pages and the serious incidents, never a caseload or a case.
    rebuild_table(db, "staff", STAFF_ROLE_CHECK, STAFF_ROLE_CHECK_WITH_PARTNERSHIP)


SERIOUS_INCIDENTS_SQL = """
-- A serious incident (Children Act 2004 s.16C; Working Together 2023): abuse or neglect known
-- or suspected, and a child died or was seriously harmed. One notification to the Child
-- Safeguarding Practice Review Panel per incident, so siblings harmed together are one
-- incident with a row each in incident_children. The deadlines (notify the Panel within 5
-- working days of becoming aware, the rapid review within 15 of the notification) are worked
-- out when read (hotspots.model.incidents); the days they were done are recorded here.
CREATE TABLE serious_incidents (
    id INTEGER PRIMARY KEY,
    -- the partnership's own reference for the incident, if it gives one
    reference TEXT UNIQUE,
    occurred_on TEXT NOT NULL,
    known_on TEXT NOT NULL,
    abuse_or_neglect TEXT NOT NULL CHECK (abuse_or_neglect IN ('known', 'suspected')),
    summary TEXT NOT NULL DEFAULT '',
    panel_notified_on TEXT,
    rapid_review_on TEXT,
    recorded_by_id INTEGER REFERENCES staff(id),
    recorded_at TEXT NOT NULL,
    CHECK (known_on >= occurred_on),
    CHECK (panel_notified_on IS NULL OR panel_notified_on >= known_on),
    CHECK (rapid_review_on IS NULL OR rapid_review_on >= known_on)
);
CREATE INDEX serious_incidents_occurred ON serious_incidents(occurred_on);
-- Each child the incident harmed, on their case. A case named here is kept by retention
-- (hotspots.storage.retention), so the look-back can always be read.
CREATE TABLE incident_children (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES serious_incidents(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    harm TEXT NOT NULL CHECK (harm IN ('died', 'serious_harm')),
    recorded_by_id INTEGER REFERENCES staff(id),
    recorded_at TEXT NOT NULL,
    UNIQUE (incident_id, case_id)
);
CREATE INDEX incident_children_case ON incident_children(case_id);
-- What the service showed at the time: a copy of the case's stored score history up to the
-- incident, taken when the child is recorded (later rows are never copied over it), so that
-- neither [retention] score_history_days nor a later rescore of a past day changes it.
CREATE TABLE incident_score_history (
    child_id INTEGER NOT NULL REFERENCES incident_children(id),
    day TEXT NOT NULL,
    score REAL NOT NULL,
    band TEXT NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (child_id, day)
) WITHOUT ROWID;
"""


@migrations()
def m121_serious_incidents(db: Database) -> None:
    for statement in statements(SERIOUS_INCIDENTS_SQL):
        db.execute(statement)


HISTORY_CASELOAD_SQL = """
-- Whose caseload each day's score was in (scores.worker_id on that day), so the load a worker
-- carried stays theirs after the case moves on (the partnership's workforce figures). Rows
-- written before this column existed take the case's worker now, for the red ones only (the
-- only rows those figures read); the others stay NULL.
ALTER TABLE score_history ADD COLUMN worker_id INTEGER REFERENCES staff(id);
UPDATE score_history SET worker_id = (
    SELECT c.worker_id FROM cases AS c WHERE c.id = score_history.case_id
)
WHERE band = 'red';
-- The hotspots each worker held, day by day, read from this index alone (band among its
-- columns, or SQLite reads every row to check it).
CREATE INDEX score_history_red ON score_history(day, worker_id, band) WHERE band = 'red';
"""


@migrations()
def m122_history_caseload(db: Database) -> None:
    for statement in statements(HISTORY_CASELOAD_SQL):
        db.execute(statement)


CHILD_CHARACTERISTICS_SQL = """
-- A child's sex, ethnicity and disability (hotspots.model.characteristics), kept apart from
-- scoring: in a table of their own that no scoring statement reads, so the fairness report can ask
-- whether hotspots fall unevenly and nothing else sees them. One row per case, written by the
-- imports (the Annex A lists, the CIN census, the cases CSV); NULL: not recorded. A value that
-- says nothing new (sex not known, ethnicity not yet obtained) never overwrites a recorded one.
CREATE TABLE child_characteristics (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    sex TEXT CHECK (sex IN ('male', 'female', 'other', 'not_known')),
    ethnicity TEXT CHECK (ethnicity IN (
        'WBRI', 'WIRI', 'WIRT', 'WOTH', 'WROM', 'MWBC', 'MWBA', 'MWAS', 'MOTH', 'AIND', 'APKN',
        'ABAN', 'AOTH', 'BCRB', 'BAFR', 'BOTH', 'CHNE', 'OOTH', 'REFU', 'NOBT')),
    disability TEXT CHECK (disability IN ('yes', 'no')),
    -- which import last changed them (its kind), and when (UTC)
    recorded_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) WITHOUT ROWID;
"""


@migrations()
def m140_child_characteristics(db: Database) -> None:
    for statement in statements(CHILD_CHARACTERISTICS_SQL):
        db.execute(statement)


# An observation's statuses before and after m141: 'disputed' is a record a person disputes
# that a worker has not yet decided on. It counts towards no score, because every reader of a
# score counts only 'current' observations (the pure model, the set-based rescore, the kept
# indicator sums, whose triggers already mark a case when a current observation changes status).
OBSERVATION_STATUSES_BEFORE = "CHECK (status IN ('current', 'resolved', 'refuted'))"
OBSERVATION_STATUSES_WITH_DISPUTED = (
    "CHECK (status IN ('current', 'resolved', 'refuted', 'disputed'))"
)

DISPUTES_SQL = """
-- A family's correction route: a person disputes a record about them (what an observation
-- says, or that a partner's notification is about this child at all). An admin records it; the
-- observation is 'disputed' (counted by no score) until a worker decides: upheld (the record
-- stands: the observation's status, reason and who changed it are put back as they were) or
-- corrected (the record is wrong: it is refuted with the worker's reason; a notification
-- matched to the wrong child goes back to the queue of those not yet matched, and is never
-- matched to this case again). Nothing is deleted; every step is audited.
CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    -- the record disputed; the dispute is shown on whichever case holds it
    observation_id INTEGER NOT NULL REFERENCES observations(id),
    -- the case it was about when disputed (for a match: the case it is said not to be about)
    case_ref TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('record', 'match')),
    disputed_by TEXT NOT NULL CHECK (disputed_by IN (
        'parent_or_carer', 'child_or_young_person', 'representative', 'other')),
    -- what the person says is wrong, as the admin recorded it
    what TEXT NOT NULL CHECK (length(trim(what)) > 0),
    received_on TEXT NOT NULL,
    recorded_by_id INTEGER NOT NULL REFERENCES staff(id),
    recorded_at TEXT NOT NULL,
    -- a partner's notification: whose and their reference, so a corrected match is never made
    -- again when the partner sends the item once more
    partner_id INTEGER REFERENCES partners(id),
    partner_ref TEXT,
    -- the observation as it stood when disputed, put back when the record is upheld
    status_before TEXT NOT NULL CHECK (status_before IN ('current', 'resolved', 'refuted')),
    status_reason_before TEXT,
    status_changed_at_before TEXT,
    status_changed_by_id_before INTEGER REFERENCES staff(id),
    decision TEXT CHECK (decision IN ('upheld', 'corrected')),
    decision_reason TEXT,
    decided_by_id INTEGER REFERENCES staff(id),
    decided_at TEXT,
    CHECK ((decision IS NULL) = (decided_at IS NULL)),
    CHECK (decision IS NULL OR length(trim(decision_reason)) > 0),
    CHECK (kind = 'record' OR partner_id IS NOT NULL)
);
-- One open dispute per observation.
CREATE UNIQUE INDEX disputes_open ON disputes(observation_id) WHERE decision IS NULL;
CREATE INDEX disputes_observation ON disputes(observation_id, recorded_at);
CREATE INDEX disputes_partner_ref ON disputes(partner_id, partner_ref) WHERE partner_id IS NOT NULL;
"""


def widen_check(db: Database, table: str, before: str, after: str) -> None:
    """Replace one CHECK constraint of ``table`` with a looser one, in place (where
    ``rebuild_table`` would copy the whole table, as it must for a tighter one). SQLite's ALTER
    TABLE cannot change a constraint; its documentation gives this procedure (edit the schema's
    text, raise the schema version) for changes that leave every stored row as it is, such as
    a CHECK that allows more values. Rebuilding the table instead would copy millions of
    observations and every index and trigger on them. Raises ValueError, changing nothing,
    unless the constraint is there exactly once."""
    (sql,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table", {"table": table}
    ).fetchone()
    if sql.count(before) != 1:
        raise ValueError(f"{table}: the constraint {before} is not in its schema exactly once")
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute(
            "UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :table",
            {"sql": sql.replace(before, after), "table": table},
        )
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")


@migrations()
def m141_disputes(db: Database) -> None:
    widen_check(db, "observations", OBSERVATION_STATUSES_BEFORE, OBSERVATION_STATUSES_WITH_DISPUTED)
    for statement in statements(DISPUTES_SQL):
        db.execute(statement)


CASE_ACTIONS_DUE_INDEX_SQL = """
-- One case's actions by state with their due day, so the lists' "next action due" (the
-- soonest open action's day: storage.rules.NEXT_ACTION_DUE) is one step into the index. With
-- (case_id, state) alone SQLite found the minimum by walking every open action in the
-- authority in due order (actions_open_due) for each case on a page: 28 ms for a caseload of
-- 17 on the 100,000-case demo. Replaces the narrower index of the same name and purpose.
DROP INDEX actions_case;
CREATE INDEX actions_case ON actions(case_id, state, due_on);
"""


@migrations()
def m150_case_actions_due_index(db: Database) -> None:
    for statement in statements(CASE_ACTIONS_DUE_INDEX_SQL):
        db.execute(statement)
