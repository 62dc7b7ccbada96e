"""Rescoring, as the service calls it: the whole-authority rescore (``rescore_all``), one
case or the marked ones (``rescore_case``, ``rescore_marked``, ``rescore_changed``) and the
score reads (caseloads, trends, explanations).

The work is the database side of the scoring model, so it lives in storage
(``hotspots.storage.rescoring``: set-based SQL in ``hotspots.storage.scores``); the model it
follows is the pure ``hotspots.scoring``. Views, the command line and the jobs import it
from here.
"""

from hotspots.storage.rescoring import (
    band_counts,
    case_facts,
    contributions_for,
    day_number,
    find_staff,
    history_band_counts,
    read_caseload,
    rescore_all,
    rescore_case,
    rescore_changed,
    rescore_marked,
    score_of,
    score_series,
    scratch_caseload_scores,
    scratch_scores,
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
