"""The safeguarding partnership's view: serious incidents recorded and looked back on, the
review's findings measured live, and the load on the workforce.

- ``recording``: recording an incident, its children and the days its deadlines were met;
- ``lookback``: each incident's deadlines on a day and each child's look-back, gathered for
  the pure rules in ``hotspots.model.incidents``;
- ``report``: the partnership's report (``partnership_report``) and its tables for CSV.
"""

from hotspots.services.partnership.lookback import Child, Incident, all_incidents
from hotspots.services.partnership.recording import (
    IncidentRefused,
    NewIncident,
    add_child,
    record_done,
    record_incident,
)
from hotspots.services.partnership.report import (
    PARTS,
    TABLES,
    open_deadlines,
    partnership_report,
    table,
)

__all__ = [
    "PARTS",
    "TABLES",
    "Child",
    "Incident",
    "IncidentRefused",
    "NewIncident",
    "add_child",
    "all_incidents",
    "open_deadlines",
    "partnership_report",
    "record_done",
    "record_incident",
    "table",
]
