"""SQL for the web interface: sign-in, caseloads, case pages, team pages and the audit log.

Lists join ``cases`` to ``scores`` (one row per case) and read ``score_history`` only for
the cases on the page, through its (case_id, day) primary key.
"""

from hotspots.storage import rules as rule_sql

# --- staff -----------------------------------------------------------------------------

STAFF_BY_ID_SQL = """
SELECT id, email, name, role, team_id FROM staff WHERE id = :id
"""

STAFF_FOR_SIGN_IN_SQL = """
SELECT id, email, name, role, team_id, password_hash, disabled_at FROM staff WHERE email = :email
"""

SET_PASSWORD_SQL = """
UPDATE staff SET password_hash = :password_hash WHERE email = :email
"""

# --- one case --------------------------------------------------------------------------

CASE_BY_REF_SQL = """
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.team_id, c.worker_id, c.opened_on,
       c.closed_on, c.visit_every_days, c.last_visit_on, c.status,
       t.name AS team_name, w.name AS worker_name,
       s.score, s.band, s.rank, s.contributions, s.model_version, s.as_of, s.computed_at
FROM cases c
JOIN teams t ON t.id = c.team_id
LEFT JOIN staff w ON w.id = c.worker_id
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.case_ref = :case_ref
"""

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
SELECT e.id, e.topic, e.asked_on, e.outcome, e.recorded_at, r.name AS recorded_by
FROM enquiries e
LEFT JOIN staff r ON r.id = e.recorded_by_id
WHERE e.case_id = :case_id
ORDER BY e.asked_on DESC, e.id DESC
"""

REVIEWS_FOR_CASE_SQL = """
SELECT v.id, v.reviewed_at, v.plan, r.name AS reviewed_by
FROM reviews v
JOIN staff r ON r.id = v.reviewed_by_id
WHERE v.case_id = :case_id
ORDER BY v.reviewed_at DESC, v.id DESC
"""

ADJUSTMENTS_FOR_CASE_SQL = """
SELECT a.id, a.points, a.reason, a.expires_on, a.made_at, r.name AS made_by
FROM adjustments a
JOIN staff r ON r.id = a.made_by_id
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
SELECT indicator, status FROM observations WHERE id = :id AND case_id = :case_id
"""

INSERT_ENQUIRY_SQL = """
INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_by_id, recorded_at)
VALUES (:case_id, :topic, :asked_on, :outcome, :recorded_by_id, :recorded_at)
"""

ENQUIRY_EXISTS_SQL = """
SELECT 1 FROM enquiries WHERE case_id = :case_id AND topic = :topic AND asked_on = :asked_on
"""

INSERT_ADJUSTMENT_SQL = """
INSERT INTO adjustments (case_id, points, reason, expires_on, made_by_id, made_at)
VALUES (:case_id, :points, :reason, :expires_on, :made_by_id, :made_at)
"""

INSERT_REVIEW_SQL = """
INSERT INTO reviews (case_id, reviewed_by_id, reviewed_at, plan)
VALUES (:case_id, :reviewed_by_id, :reviewed_at, :plan)
"""

# --- a caseload --------------------------------------------------------------------------

# One row per open case of the worker: the score, the score a week ago (the latest history
# day on or before :week_ago) and the last review.
CASELOAD_SQL = f"""
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.opened_on, c.last_visit_on,
       c.visit_every_days, c.worker_id,
       s.score, s.band, s.rank, s.contributions, s.as_of, s.practice_gaps,
       (SELECT max(v.reviewed_at) FROM reviews v WHERE v.case_id = c.id) AS last_reviewed_at,
       {rule_sql.SCORE_THEN} AS score_week_ago
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open' AND (:band = '' OR s.band = :band)
ORDER BY s.rank IS NULL, s.rank, s.score DESC, c.case_ref
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

# Each member of the team with their open caseload, its hotspots, and its hotspots
# unreviewed for more than N days.
TEAM_WORKERS_SQL = f"""
SELECT st.id, st.name, st.role,
       count(c.id) AS open_cases,
       coalesce(sum({rule_sql.HOTSPOT}), 0) AS hotspots,
       coalesce(sum({rule_sql.UNREVIEWED_HOTSPOT}), 0) AS unreviewed_hotspots
FROM staff st
LEFT JOIN cases c ON c.worker_id = st.id AND c.status = 'open'
LEFT JOIN scores s ON s.case_id = c.id
WHERE st.team_id = :team_id AND st.role IN ('worker', 'manager')
GROUP BY st.id
ORDER BY hotspots DESC, open_cases DESC, st.name
"""  # noqa: S608 (a constant fragment, no values)

TEAM_COUNTS_SQL = f"""
SELECT count(*) AS open_cases,
       coalesce(sum({rule_sql.HOTSPOT}), 0) AS hotspots,
       coalesce(sum(c.worker_id IS NULL), 0) AS unallocated,
       coalesce(sum({rule_sql.UNREVIEWED_HOTSPOT}), 0) AS unreviewed_hotspots
FROM cases c LEFT JOIN scores s ON s.case_id = c.id
WHERE c.team_id = :team_id AND c.status = 'open'
"""  # noqa: S608

# The columns every team list shows, so one template renders them all.
_TEAM_CASE_COLUMNS = f"""
       c.id, c.case_ref, c.initials, c.date_of_birth, c.opened_on, c.last_visit_on,
       c.visit_every_days, c.worker_id, w.name AS worker_name,
       s.score, s.band, s.rank, s.contributions, s.as_of, s.practice_gaps,
       (SELECT max(v.reviewed_at) FROM reviews v WHERE v.case_id = c.id) AS last_reviewed_at,
       {rule_sql.SCORE_THEN} AS score_week_ago
"""  # noqa: S608 (a constant fragment, no values)

TEAM_HOTSPOTS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {rule_sql.HOTSPOT}
ORDER BY s.score DESC, c.case_ref
LIMIT :limit
"""  # noqa: S608 (a constant fragment, no values)

TEAM_UNREVIEWED_HOTSPOTS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {rule_sql.UNREVIEWED_HOTSPOT}
ORDER BY s.score DESC, c.case_ref
LIMIT :limit
"""  # noqa: S608

TEAM_UNALLOCATED_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND c.worker_id IS NULL
ORDER BY s.score DESC, c.case_ref
LIMIT :limit
"""  # noqa: S608

# Open cases with the practice gap "no domestic-abuse enquiry" (hotspots.rules, as stored
# with each score): the question the review found was "rarely asked".
_NO_DOMESTIC_ABUSE_ENQUIRY = rule_sql.gap("no_domestic_abuse_enquiry")

TEAM_PRACTICE_GAPS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_NO_DOMESTIC_ABUSE_ENQUIRY}
ORDER BY c.opened_on, c.case_ref
LIMIT :limit
"""  # noqa: S608

TEAM_PRACTICE_GAP_COUNT_SQL = f"""
SELECT count(*) FROM cases c JOIN scores s ON s.case_id = c.id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_NO_DOMESTIC_ABUSE_ENQUIRY}
"""  # noqa: S608

# --- the audit log -----------------------------------------------------------------------

STAFF_EMAIL_SQL = """
SELECT email FROM staff WHERE email = :email
"""
