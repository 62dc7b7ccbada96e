"""Rescoring, as the service calls it: the whole-authority rescore (``rescore_all``), one
case or the marked ones (``rescore_case``, ``rescore_marked``, ``rescore_changed``) and the
score reads (caseloads, trends, explanations).

The work is the database side of the scoring model, so it lives in storage
(``hotspots.storage.rescoring``: set-based SQL in ``hotspots.storage.scores``); the model it
follows is the pure ``hotspots.model.scoring``. Views, the command line and the jobs import it
from here.
"""

from hotspots.storage import rescoring as _in_storage
from hotspots.storage.rescoring import *  # noqa: F403 (the same names, listed there once)

__all__ = _in_storage.__all__
