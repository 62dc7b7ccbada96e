"""Rescoring in the database: the database side of the scoring model
(``hotspots.services.rescoring``
is how the service calls it), one module per job.

- ``facts``: loading what feeds a score (one case, a page of cases, every open case).
- ``bulk``: the whole-authority rescore, set-based SQL in one transaction (``rescore_all``).
- ``incremental``: one case at once (``rescore_case``), the marked ones among given cases
  (``rescore_marked``: the partners' API) and the cases marked since they were scored
  (``rescore_changed``: the sweep, and an import after its commit).
- ``read``: scores worked out without writing, explanations, caseloads, trends, series.

Closed cases have no ``scores`` row (they leave every ranking); their ``score_history`` stays.
Every run writes the case's ``score_history`` row for the day (one row per case per day: a
second run the same day replaces it).
"""

from hotspots.storage.rescoring.bulk import (
    day_number,
    rescore_all,
    scratch_caseload_scores,
    scratch_scores,
)
from hotspots.storage.rescoring.facts import case_facts
from hotspots.storage.rescoring.incremental import rescore_case, rescore_changed, rescore_marked
from hotspots.storage.rescoring.read import (
    band_counts,
    contributions_for,
    find_staff,
    history_band_counts,
    read_caseload,
    score_of,
    score_series,
    trend,
)

__all__ = [
    "band_counts",
    "case_facts",
    "contributions_for",
    "day_number",
    "find_staff",
    "history_band_counts",
    "read_caseload",
    "rescore_all",
    "rescore_case",
    "rescore_changed",
    "rescore_marked",
    "score_of",
    "score_series",
    "scratch_caseload_scores",
    "scratch_scores",
    "trend",
]
