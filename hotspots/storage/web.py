"""SQL for the web interface: sign-in, caseloads, case pages, team pages and the audit log.

Lists join ``cases`` to ``scores`` (one row per case) and read ``score_history`` only for
the cases on the page, through its (case_id, day) primary key. A case's rank in its caseload
is worked out for the rows shown (``hotspots.storage.rules.RANK``), never stored.
"""

from hotspots.storage import rules as rule_sql

# --- staff -----------------------------------------------------------------------------

# A disabled member of staff is no one: they cannot sign in, and a session of theirs ends.
STAFF_BY_ID_SQL = """
SELECT id, email, name, role, team_id FROM staff WHERE id = :id AND disabled_at IS NULL
"""

STAFF_FOR_SIGN_IN_SQL = """
SELECT id, email, name, role, team_id, password_hash, disabled_at FROM staff WHERE email = :email
"""

SET_PASSWORD_SQL = """
UPDATE staff SET password_hash = :password_hash WHERE email = :email
"""

# --- one case --------------------------------------------------------------------------

CASE_BY_REF_SQL = f"""
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.team_id,
       c.worker_id, c.opened_on, c.closed_on, c.visit_every_days, c.last_visit_on, c.status,
       t.name AS team_name, w.name AS worker_name,
       s.score, s.band, {rule_sql.RANK} AS rank, s.contributions, s.model_version, s.as_of,
       s.computed_at, s.practice_gaps
FROM cases c
JOIN teams t ON t.id = c.team_id
LEFT JOIN staff w ON w.id = c.worker_id
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.case_ref = :case_ref
"""  # noqa: S608 (a constant fragment, no values)

OBSERVATIONS_FOR_CASE_SQL = """
SELECT o.id, o.indicator, o.observed_on, o.source, o.status, o.note, o.recorded_at,
       o.status_reason, o.status_changed_at,
       r.name AS recorded_by, x.name AS status_changed_by
FROM observations o
LEFT JOIN staff r ON r.id = o.recorded_by_id
LEFT JOIN staff x ON x.id = o.status_changed_by_id
WHERE o.case_id = :case_id
ORDER BY o.observed_on DESC, o.id DESC
"""

ENQUIRIES_FOR_CASE_SQL = """
SELECT e.id, e.topic, e.asked_on, e.outcome, e.recorded_at, r.name AS recorded_by,
       e.entered_in_error_at, e.entered_in_error_reason, x.name AS entered_in_error_by
FROM enquiries e
LEFT JOIN staff r ON r.id = e.recorded_by_id
LEFT JOIN staff x ON x.id = e.entered_in_error_by_id
WHERE e.case_id = :case_id
ORDER BY e.asked_on DESC, e.id DESC
"""

ADJUSTMENTS_FOR_CASE_SQL = """
SELECT a.id, a.points, a.reason, a.expires_on, a.made_at, r.name AS made_by,
       a.withdrawn_at, a.withdrawn_reason, a.expires_on_as_made, x.name AS withdrawn_by
FROM adjustments a
JOIN staff r ON r.id = a.made_by_id
LEFT JOIN staff x ON x.id = a.withdrawn_by_id
WHERE a.case_id = :case_id
ORDER BY a.made_at DESC, a.id DESC
"""

HISTORY_FOR_CASE_SQL = """
SELECT case_id, day, score, band FROM score_history
WHERE case_id = :case_id AND day > :since AND day <= :as_of
ORDER BY day
"""

# --- changes to a case (each marks the case for rescoring, through the schema's triggers) --

INSERT_OBSERVATION_SQL = """
INSERT INTO observations (external_id, case_id, indicator, observed_on, source,
                          recorded_by_id, status, note, recorded_at)
VALUES (:external_id, :case_id, :indicator, :observed_on, :source,
        :recorded_by_id, 'current', :note, :recorded_at)
"""

CHANGE_OBSERVATION_STATUS_SQL = """
UPDATE observations
SET status = :status, status_reason = :reason, status_changed_at = :changed_at,
    status_changed_by_id = :changed_by_id
WHERE id = :id AND case_id = :case_id AND status = 'current'
"""

OBSERVATION_INDICATOR_SQL = """
SELECT indicator, status, observed_on, source, note FROM observations
WHERE id = :id AND case_id = :case_id
"""

INSERT_ENQUIRY_SQL = """
INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_by_id, recorded_at)
VALUES (:case_id, :topic, :asked_on, :outcome, :recorded_by_id, :recorded_at)
"""

ENQUIRY_BY_ID_SQL = """
SELECT id, topic, asked_on, outcome, entered_in_error_at FROM enquiries
WHERE id = :id AND case_id = :case_id
"""

MARK_ENQUIRY_IN_ERROR_SQL = """
UPDATE enquiries
SET entered_in_error_at = :at, entered_in_error_by_id = :by_id, entered_in_error_reason = :reason
WHERE id = :id AND case_id = :case_id AND entered_in_error_at IS NULL
"""

ENQUIRY_EXISTS_SQL = """
SELECT 1 FROM valid_enquiries
WHERE case_id = :case_id AND topic = :topic AND asked_on = :asked_on
"""

INSERT_ADJUSTMENT_SQL = """
INSERT INTO adjustments (case_id, points, reason, expires_on, made_by_id, made_at)
VALUES (:case_id, :points, :reason, :expires_on, :made_by_id, :made_at)
"""

# The adjustments counting today (made on or before today, expiring today or later).
ADJUSTMENTS_IN_FORCE_SQL = """
SELECT id, points, reason, expires_on, made_at FROM adjustments
WHERE case_id = :case_id AND substr(made_at, 1, 10) <= :today AND expires_on >= :today
ORDER BY made_at DESC, id DESC
"""

# Withdrawn adjustments stop counting from :today: their expiry becomes yesterday.
WITHDRAW_ADJUSTMENT_SQL = """
UPDATE adjustments
SET expires_on_as_made = expires_on, expires_on = :yesterday, withdrawn_at = :at,
    withdrawn_by_id = :by_id, withdrawn_reason = :reason
WHERE id = :id AND case_id = :case_id AND withdrawn_at IS NULL
"""

REVIEW_BY_ID_SQL = """
SELECT id, reviewed_at, entered_in_error_at FROM reviews WHERE id = :id AND case_id = :case_id
"""

MARK_REVIEW_IN_ERROR_SQL = """
UPDATE reviews
SET entered_in_error_at = :at, entered_in_error_by_id = :by_id, entered_in_error_reason = :reason
WHERE id = :id AND case_id = :case_id AND entered_in_error_at IS NULL
"""

INSERT_VISIT_SQL = """
INSERT INTO visits (case_id, visited_on, child_seen, seen_alone, note, recorded_by_id,
                    recorded_at)
VALUES (:case_id, :visited_on, :child_seen, :seen_alone, :note, :recorded_by_id, :recorded_at)
"""

# A visit where the child was seen is the case's last visit, unless a later one is recorded.
UPDATE_LAST_VISIT_SQL = """
UPDATE cases SET last_visit_on = :visited_on
WHERE id = :case_id AND (last_visit_on IS NULL OR last_visit_on < :visited_on)
"""

VISITS_FOR_CASE_SQL = """
SELECT v.id, v.visited_on, v.child_seen, v.seen_alone, v.note, v.recorded_at,
       r.name AS recorded_by
FROM visits v
JOIN staff r ON r.id = v.recorded_by_id
WHERE v.case_id = :case_id
ORDER BY v.visited_on DESC, v.id DESC
"""

# --- a caseload --------------------------------------------------------------------------

# One row per open case of the worker, in rank order (the cases not ranked yet last): the
# score, its rank (worked out here), the score a week ago (the latest history day on or before
# :trend_day) and the last review.
CASELOAD_SQL = f"""
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.opened_on,
       c.last_visit_on, c.visit_every_days, c.worker_id,
       s.score, s.band, {rule_sql.RANK} AS rank, s.contributions, s.as_of, s.practice_gaps,
       s.computed_at,
       {rule_sql.LAST_REVIEWED_AT} AS last_reviewed_at,
       {rule_sql.SCORE_THEN} AS score_week_ago,
       {rule_sql.OPEN_ACTIONS} AS open_actions,
       {rule_sql.NEXT_ACTION_DUE} AS next_action_due,
       {rule_sql.LAST_ACTION_CLOSED_AT} AS last_action_closed_at
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open' AND (:band = '' OR s.band = :band)
ORDER BY s.worker_id IS NULL, {rule_sql.RANK_ORDER}, c.case_ref
"""  # noqa: S608 (constant fragments, no values)

CASELOAD_BAND_COUNTS_SQL = """
SELECT s.band, count(*) AS cases
FROM cases c JOIN scores s ON s.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open'
GROUP BY s.band
"""

CASELOAD_HISTORY_SQL = """
SELECT h.case_id, h.day, h.score
FROM cases c JOIN score_history h ON h.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open' AND h.day > :since AND h.day <= :as_of
ORDER BY h.case_id, h.day
"""

# --- a team ------------------------------------------------------------------------------

TEAMS_SQL = """
SELECT id, name FROM teams ORDER BY name
"""

TEAM_BY_ID_SQL = """
SELECT id, name FROM teams WHERE id = :team_id
"""

# A team list narrowed to one worker's cases (:worker_id), or not (NULL).
_OF_WORKER = "(:worker_id IS NULL OR c.worker_id = :worker_id)"

TEAM_COUNTS_SQL = f"""
SELECT count(*) AS open_cases,
       coalesce(sum({rule_sql.HOTSPOT}), 0) AS hotspots,
       coalesce(sum(c.worker_id IS NULL), 0) AS unallocated,
       coalesce(sum({rule_sql.AWAITING_REVIEW}), 0) AS awaiting_review,
       coalesce(sum({rule_sql.VISIT_OVERDUE}), 0) AS visits_overdue
FROM cases c LEFT JOIN scores s ON s.case_id = c.id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
"""  # noqa: S608

# The columns every team list shows, so one template renders them all.
_TEAM_CASE_COLUMNS = f"""
       c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.opened_on,
       c.last_visit_on, c.visit_every_days, c.worker_id, w.name AS worker_name,
       s.score, s.band, {rule_sql.RANK} AS rank, s.contributions, s.as_of, s.practice_gaps,
       {rule_sql.LAST_REVIEWED_AT} AS last_reviewed_at,
       {rule_sql.SCORE_THEN} AS score_week_ago,
       {rule_sql.OPEN_ACTIONS} AS open_actions,
       {rule_sql.NEXT_ACTION_DUE} AS next_action_due,
       {rule_sql.LAST_ACTION_CLOSED_AT} AS last_action_closed_at
"""  # noqa: S608 (a constant fragment, no values)

TEAM_HOTSPOTS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER} AND {rule_sql.HOTSPOT}
ORDER BY s.score DESC, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608 (a constant fragment, no values)

TEAM_AWAITING_REVIEW_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
  AND {rule_sql.AWAITING_REVIEW}
ORDER BY s.score DESC, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608

TEAM_UNALLOCATED_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER} AND c.worker_id IS NULL
ORDER BY s.score DESC, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608

# Open cases with the practice gap "no domestic-abuse enquiry" (hotspots.model.rules, as stored
# with each score): the question the review found was "rarely asked".
_NO_DOMESTIC_ABUSE_ENQUIRY = rule_sql.gap("no_domestic_abuse_enquiry")

TEAM_PRACTICE_GAPS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
  AND {_NO_DOMESTIC_ABUSE_ENQUIRY}
ORDER BY c.opened_on, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608

TEAM_PRACTICE_GAP_COUNT_SQL = f"""
SELECT count(*) FROM cases c JOIN scores s ON s.case_id = c.id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
  AND {_NO_DOMESTIC_ABUSE_ENQUIRY}
"""  # noqa: S608

# --- the audit log -----------------------------------------------------------------------

STAFF_EMAIL_SQL = """
SELECT email FROM staff WHERE email = :email
"""

# --- finding a case ------------------------------------------------------------------------

# Cases whose reference is the query (as typed, or in capitals) or whose initials are it (in
# capitals), open first, with what a results list shows. Who may see each is decided by
# hotspots.web.auth.can_see_case on these rows, so the rule stays in one place.
CASE_SEARCH_SQL = """
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.team_id,
       c.worker_id, c.status, c.opened_on, w.name AS worker_name, t.name AS team_name,
       s.score, s.band
FROM cases c
JOIN teams t ON t.id = c.team_id
LEFT JOIN staff w ON w.id = c.worker_id
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.case_ref IN (:query, upper(:query)) OR c.initials = upper(:query)
ORDER BY c.status = 'closed', s.score IS NULL, s.score DESC, c.case_ref
LIMIT :limit
"""

# --- typed text kept across a sign-in (hotspots.web.drafts) ------------------------------------

INSERT_FORM_DRAFT_SQL = """
INSERT INTO form_drafts (staff_id, path, data, saved_at)
VALUES (:staff_id, :path, :data, :saved_at)
"""

DELETE_OLD_FORM_DRAFTS_SQL = """
DELETE FROM form_drafts WHERE saved_at < :before
"""

LATEST_FORM_DRAFT_SQL = """
SELECT data FROM form_drafts
WHERE staff_id = :staff_id AND path = :path AND saved_at >= :since
ORDER BY id DESC LIMIT 1
"""

DELETE_FORM_DRAFTS_SQL = """
DELETE FROM form_drafts WHERE staff_id = :staff_id AND path = :path
"""

# --- people (admins) -------------------------------------------------------------------------

PEOPLE_SQL = """
SELECT st.id, st.name, st.email, st.role, st.team_id, t.name AS team_name, st.disabled_at,
       st.password_hash IS NOT NULL AS has_password
FROM staff st LEFT JOIN teams t ON t.id = st.team_id
ORDER BY st.disabled_at IS NOT NULL, t.name IS NULL, t.name, st.role, st.name
"""

PERSON_SQL = """
SELECT st.id, st.name, st.email, st.role, st.team_id, t.name AS team_name, st.disabled_at,
       st.password_hash IS NOT NULL AS has_password
FROM staff st LEFT JOIN teams t ON t.id = st.team_id
WHERE st.id = :id
"""

STAFF_EMAIL_TAKEN_SQL = """
SELECT 1 FROM staff WHERE email = :email
"""

INSERT_PERSON_SQL = """
INSERT INTO staff (email, name, role, team_id, password_hash)
VALUES (:email, :name, :role, :team_id, NULL)
"""

CLEAR_PASSWORD_SQL = """
UPDATE staff SET password_hash = NULL WHERE id = :id
"""

SET_PASSWORD_BY_ID_SQL = """
UPDATE staff SET password_hash = :password_hash WHERE id = :id AND disabled_at IS NULL
"""

# A newer link replaces any unused one.
RETIRE_PASSWORD_LINKS_SQL = """
UPDATE password_links SET used_at = :at WHERE staff_id = :staff_id AND used_at IS NULL
"""

INSERT_PASSWORD_LINK_SQL = """
INSERT INTO password_links (staff_id, token_hash, created_at, created_by_id, expires_at)
VALUES (:staff_id, :token_hash, :created_at, :created_by_id, :expires_at)
"""

PASSWORD_LINK_SQL = """
SELECT l.id, l.staff_id, l.expires_at, l.used_at, st.email, st.name, st.disabled_at
FROM password_links l JOIN staff st ON st.id = l.staff_id
WHERE l.token_hash = :token_hash
"""

USE_PASSWORD_LINK_SQL = """
UPDATE password_links SET used_at = :at WHERE id = :id AND used_at IS NULL
"""
