"""SQL for rescoring a few cases at once (``hotspots.rescoring.incremental``): whether anyone
else wrote meanwhile, and the cases' previous workers (:case_ids is a JSON array of case
ids). Reading their facts and writing their scores are in ``scores``."""

# Changes whenever another connection commits to the database (SQLite's own counter, per
# connection): the same value twice means nothing was written by anyone else in between.
DATA_VERSION_SQL = "PRAGMA data_version"

# The worker each case was ranked under before this rescore (a reallocated case leaves that
# worker's ranking, so both caseloads are re-ranked).
SELECT_PREVIOUS_WORKERS_SQL = """
SELECT case_id, worker_id FROM scores
WHERE case_id IN (SELECT value FROM json_each(:case_ids)) AND worker_id IS NOT NULL
"""
