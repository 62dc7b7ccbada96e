"""SQL for retention: what is removed once its time is up (``hotspots.services.retention``)."""

# The closed cases due for removal, gathered once so every statement below removes the
# same set. A case a serious incident names is kept (CASES_KEPT_BY): the partnership's
# look-back reads its records for as long as the incident is kept.
CREATE_EXPIRED_CASES_SQL = """
CREATE TEMP TABLE expired_cases AS
SELECT id, case_ref, closed_on FROM cases
WHERE status = 'closed' AND closed_on IS NOT NULL AND closed_on < :closed_before
  AND id NOT IN (SELECT case_id FROM incident_children)
"""

# Tables that refer to cases and keep them: CREATE_EXPIRED_CASES_SQL leaves out every case
# they name, so nothing under such a case is removed.
CASES_KEPT_BY = ("incident_children",)

# Closed cases past their time that a serious incident keeps (counted in the report).
KEPT_FOR_INCIDENTS_SQL = """
SELECT count(*) FROM cases
WHERE status = 'closed' AND closed_on IS NOT NULL AND closed_on < :closed_before
  AND id IN (SELECT case_id FROM incident_children)
"""

DROP_EXPIRED_CASES_SQL = "DROP TABLE IF EXISTS temp.expired_cases"

EXPIRED_CASES_SQL = "SELECT case_ref, closed_on FROM temp.expired_cases ORDER BY case_ref"

# Closed cases with no closing date: retention cannot age them (they are counted, not removed).
CLOSED_WITHOUT_DATE_SQL = """
SELECT count(*) FROM cases WHERE status = 'closed' AND closed_on IS NULL
"""

# Everything under an expired case, then the case (children first, for the foreign keys).
# Each table that refers to cases, observations or reviews must be here: ``apply_retention``
# checks.
DELETE_UNDER_EXPIRED_CASES_SQL = {
    # A partner's notification attached to the case: the queue's copy goes with the case.
    "unmatched_observations": """
DELETE FROM unmatched_observations WHERE observation_id IN (
    SELECT id FROM observations WHERE case_id IN (SELECT id FROM temp.expired_cases)
)
""",
    # A family's disputes of the case's records go with the records.
    "disputes": """
DELETE FROM disputes WHERE observation_id IN (
    SELECT id FROM observations WHERE case_id IN (SELECT id FROM temp.expired_cases)
)
""",
    "observations": "DELETE FROM observations WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "child_characteristics": (
        "DELETE FROM child_characteristics WHERE case_id IN (SELECT id FROM temp.expired_cases)"
    ),
    "enquiries": "DELETE FROM enquiries WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "adjustments": "DELETE FROM adjustments WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    # What hangs off a review goes before it: its score's contributions, its actions.
    "review_contributions": """
DELETE FROM review_contributions WHERE review_id IN (
    SELECT id FROM reviews WHERE case_id IN (SELECT id FROM temp.expired_cases)
)
""",
    "actions": "DELETE FROM actions WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "allocations": "DELETE FROM allocations WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "reviews": "DELETE FROM reviews WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "visits": "DELETE FROM visits WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "score_history": (
        "DELETE FROM score_history WHERE case_id IN (SELECT id FROM temp.expired_cases)"
    ),
    "scores": "DELETE FROM scores WHERE case_id IN (SELECT id FROM temp.expired_cases)",
}

DELETE_EXPIRED_CASES_SQL = "DELETE FROM cases WHERE id IN (SELECT id FROM temp.expired_cases)"

# The triggers mark a case whose observations are deleted; a removed case needs no rescore.
UNMARK_EXPIRED_CASES_SQL = """
DELETE FROM rescore_queue WHERE case_id IN (SELECT id FROM temp.expired_cases)
"""

TABLES_REFERRING_TO_CASES_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'cases'
ORDER BY m.name
"""
TABLES_REFERRING_TO_REVIEWS_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'reviews'
ORDER BY m.name
"""
TABLES_REFERRING_TO_OBSERVATIONS_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'observations'
ORDER BY m.name
"""

# Partners' notifications for children not yet known, once someone attached or dismissed
# them (``at`` a UTC instant): the open ones stay until someone acts.
DELETE_OLD_RESOLVED_UNMATCHED_SQL = """
DELETE FROM unmatched_observations
WHERE state IN ('attached', 'dismissed') AND resolved_at < :before
"""

DELETE_OLD_SCORE_HISTORY_SQL = "DELETE FROM score_history WHERE day < :before"

# ``at`` is a UTC instant (dates.stamp). What hangs off an audit row goes with it: each
# table that refers to audit_log must be here (``tables_referring_to_audit`` checks).
DELETE_UNDER_OLD_AUDIT_SQL = {
    "import_reports": """
DELETE FROM import_reports WHERE audit_id IN (SELECT id FROM audit_log WHERE at < :before)
""",
}

DELETE_OLD_AUDIT_SQL = "DELETE FROM audit_log WHERE at < :before"

TABLES_REFERRING_TO_AUDIT_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'audit_log'
ORDER BY m.name
"""
