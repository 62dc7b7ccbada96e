"""SQL for rescoring a few cases at once (``hotspots.rescoring.incremental``): what feeds the
scores of a batch of cases, read in one statement per table (:case_ids is a JSON array of
case ids), and their previous workers. The per-case statements and the writes are in
``scores``."""

# Changes whenever another connection commits to the database (SQLite's own counter, per
# connection): the same value twice means nothing was written by anyone else in between.
DATA_VERSION_SQL = "PRAGMA data_version"

# The cases' rows as ``scores.SELECT_CASE_SQL`` reads one (status included: a closed case
# leaves the ranking).
SELECT_CASES_SQL = """
SELECT id, case_ref, date_of_birth, opened_on, worker_id, visit_every_days, last_visit_on,
       status
FROM cases WHERE id IN (SELECT value FROM json_each(:case_ids))
"""
# Every observation of the cases, whatever its status, as ``scores.SELECT_CASE_OBSERVATIONS_SQL``
# reads one case's: the model decides what counts.
SELECT_CASES_ALL_OBSERVATIONS_SQL = """
SELECT case_id, id, indicator, observed_on, status, source
FROM observations WHERE case_id IN (SELECT value FROM json_each(:case_ids))
"""
# The worker each case was ranked under before this rescore (a reallocated case leaves that
# worker's ranking, so both caseloads are re-ranked).
SELECT_PREVIOUS_WORKERS_SQL = """
SELECT case_id, worker_id FROM scores
WHERE case_id IN (SELECT value FROM json_each(:case_ids)) AND worker_id IS NOT NULL
"""
