"""The partnership's report on a day: the serious incidents and what the service knew before
each, the review's table from live data, the practice the review found missing, and the load
on the workforce. One dict of plain data (``partnership_report``) that the command line prints
or writes as JSON and the partnership's page renders; ``table`` gives each of its tables for
a CSV download. docs/partnership.md explains every figure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import parse_date
from hotspots.model import incidents
from hotspots.services.partnership.lookback import Child, Incident, all_incidents
from hotspots.storage import partnership as store

# What the review itself found in its six cases, by feature (the newspaper's table,
# docs/partnership.md), shown beside the live counts for the features the rule names.
REVIEW_FOUND = {
    "parental_conflict": "6 of 6",
    "parental_ace": "5 of 6",
    "domestic_abuse": "4 of 6",
    "stressful_birth": "4 of 6",
    "feeding_difficulties": "4 of 6",
    "substance_misuse": "4 of 6",
    "new_partner": "at least 2 of 6",
    "previous_injury": "at least 1 of 6",
}


# The report's parts, in order; each CSV download needs one of them.
PARTS = ("incidents", "recall", "review_table", "practice", "workforce")


def partnership_report(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    parts: Collection[str] = PARTS,
    found: Sequence[Incident] | None = None,
) -> dict[str, Any]:
    """Every figure of the partnership's report on ``as_of`` (or only ``parts`` of it),
    JSON-able. ``found``: the incidents, when the caller has read them already."""
    report: dict[str, Any] = {"as_of": as_of.isoformat()}
    if "incidents" in parts or "recall" in parts:
        if found is None:
            found = all_incidents(db, settings, as_of=as_of)
        if "incidents" in parts:
            report["incidents"] = [incident_entry(i, c) for i in found for c in i.children]
        if "recall" in parts:
            report["recall"] = recall(found, settings, as_of)
    if "review_table" in parts:
        report["review_table"] = review_table(db, settings, as_of)
    if "practice" in parts:
        report["practice"] = practice(db, settings, as_of)
    if "workforce" in parts:
        report["workforce"] = workforce(db, settings, as_of)
    return report


# --- incidents ---------------------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def incident_entry(incident: Incident, child: Child) -> dict[str, Any]:
    """One child of one incident as the report lists it (no summary: the page shows it)."""
    lb = child.look_back
    return {
        "incident": incident.id,
        "reference": incident.row["reference"],
        "case_ref": child.case_ref,
        "harm": child.row["harm"],
        "abuse_or_neglect": incident.row["abuse_or_neglect"],
        "age_on_the_day": child.age_on_the_day,
        "occurred_on": incident.row["occurred_on"],
        "known_on": incident.row["known_on"],
        "notify_panel_by": incident.notify_panel.due.isoformat(),
        "panel_notified_on": incident.row["panel_notified_on"],
        "notify_panel": incident.notify_panel.state,
        "rapid_review_by": incident.rapid_review.due.isoformat(),
        "rapid_review_on": incident.row["rapid_review_on"],
        "rapid_review": incident.rapid_review.state,
        "first_red_on": _iso(lb.first_red_on),
        "red_days": lb.red_days,
        "hotspot_day_before": lb.red_day_before,
        "hindsight_first_red_on": _iso(lb.hindsight_first_red_on),
        "hindsight_red_days": lb.hindsight_red_days,
        "look_back_days": len(lb.days),
        "kept_days": lb.kept_days,
        "reviewed_on": [day.isoformat() for day in lb.reviews],
        "reviewed_once_red": lb.reviewed_once_red,
        "actions_agreed": lb.actions_agreed,
        "actions_done": lb.actions_done,
        "questions_asked": {
            topic: _iso(found.asked_on) if found else None for topic, found in lb.questions.items()
        },
        "features_at_the_time": [c for c, f in lb.features.items() if f["at_the_time"]],
        "features_recorded_later": [
            c for c, f in lb.features.items() if f["in_hindsight"] and not f["at_the_time"]
        ],
        "late_records": len(lb.late_records),
    }


def recall(found: Sequence[Incident], settings: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """The service's recall on the authority's own outcomes
    (``hotspots.model.incidents.recall``)."""
    years = settings["partnership"]["recall_years"]
    under = settings["partnership"]["children_under_years"]
    counted = [
        child.look_back
        for incident in found
        for child in incident.children
        if incidents.in_recall(
            incident.occurred_on, parse_date(child.row["date_of_birth"]), as_of, years, under
        )
    ]
    return {"years": years, "children_under_years": under} | incidents.recall(
        counted, years=years, under_years=under
    )


def open_deadlines(found: Sequence[Incident]) -> list[dict[str, Any]]:
    """The deadlines still to be met, the most overdue first: one line per incident and
    deadline."""
    lines = []
    for incident in found:
        refs = ", ".join(child.case_ref for child in incident.children)
        for what, due in (
            ("Notify the Panel and tell the partners", incident.notify_panel),
            ("Hold the rapid review", incident.rapid_review),
        ):
            if due.open:
                lines.append({"incident": incident, "what": what, "deadline": due, "cases": refs})
                break  # the rapid review waits for the notification
    lines.sort(key=lambda line: (line["deadline"].due, line["incident"].id))
    return lines


# --- the review's table ------------------------------------------------------------------


def review_table(
    db: sqlite_utils.Database, settings: Mapping[str, Any], as_of: date
) -> dict[str, Any]:
    """For open cases of children under ``children_under_years``: how many have each of the
    review's features recorded, and how many matched the review's pattern when last scored."""
    scoring = settings["scoring"]
    under = settings["partnership"]["children_under_years"]
    features = scoring["review_pattern"]["features"]
    young = store.young_cases(db, as_of, under)
    counts = store.young_features(db, as_of, under, features)
    total = young["cases"]
    return {
        "children_under_years": under,
        "open_cases": total,
        "features": [
            {
                "code": code,
                "label": scoring["indicators"][code]["label"],
                "cases": counts[code],
                "share": _share(counts[code], total),
                "review_found": REVIEW_FOUND.get(code, ""),
            }
            for code in features
        ],
        "pattern": young["pattern"],
        "pattern_share": _share(young["pattern"], total),
        "scored": young["scored"],
        "scored_on": young["scored_to"],
    }


# --- practice ----------------------------------------------------------------------------


def month_ends(as_of: date, months: int) -> list[date]:
    """The last day of each of the ``months`` months up to ``as_of``'s, latest first; the
    month still running ends on ``as_of``."""
    ends = [as_of]
    first = as_of.replace(day=1)
    for _ in range(months - 1):
        end = first - timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return ends


def practice(db: sqlite_utils.Database, settings: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """By team and by month: of the cases open longer than the domestic-abuse enquiry is due
    in, the share with it asked and the share with the parents' childhood explored."""
    due_days = settings["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"]
    ends = month_ends(as_of, settings["partnership"]["practice_months"])
    names = store.teams(db)
    rows = store.practice(db, ends, due_days)
    whole: dict[str, dict[str, int]] = {
        end.isoformat(): {"cases": 0, "domestic_abuse": 0, "parental_childhood": 0} for end in ends
    }
    teams = []
    for row in rows:
        for key in ("cases", "domestic_abuse", "parental_childhood"):
            whole[row["month_end"]][key] += row[key]
        teams.append(_practice_row(row["month_end"], row, names.get(row["team_id"], "")))
    teams.sort(key=lambda r: (r["team"], r["month"]), reverse=False)
    return {
        "open_longer_than_days": due_days,
        "months": [_practice_row(end, counts, None) for end, counts in whole.items()],
        "teams": teams,
    }


def _practice_row(month_end: str, counts: Mapping[str, int], team: str | None) -> dict[str, Any]:
    cases = counts["cases"]
    return {
        **({"team": team} if team is not None else {}),
        "month": month_end[:7],
        "month_end": month_end,
        "cases": cases,
        "domestic_abuse_asked": counts["domestic_abuse"],
        "domestic_abuse_share": _share(counts["domestic_abuse"], cases),
        "parental_childhood_explored": counts["parental_childhood"],
        "parental_childhood_share": _share(counts["parental_childhood"], cases),
    }


# --- the workforce -----------------------------------------------------------------------


def workforce(
    db: sqlite_utils.Database, settings: Mapping[str, Any], as_of: date
) -> dict[str, Any]:
    """For each worker and team: open cases against ``[partnership] caseload_limit``, the
    hotspots held now, and the weeks of the last ``workforce_weeks`` in which the worker held
    more than ``[alert_budget] caseload_hotspots`` hotspots on at least one day; heaviest load
    for longest first."""
    limit = settings["partnership"]["caseload_limit"]
    budget = settings["alert_budget"]["caseload_hotspots"]
    weeks = settings["partnership"]["workforce_weeks"]
    first = store.first_hotspot_day(db)
    counted = weeks_counted(first, as_of, weeks)
    counted_cases = store.open_cases(db)
    counted_hotspots = store.hotspots(db)
    open_cases = _by(counted_cases, "worker_id", "cases")
    hotspots = _by(counted_hotspots, "worker_id", "hotspots")
    held = store.hotspot_weeks(db, as_of, weeks)
    workers = []
    for person in store.caseload_holders(db):
        most = held.get(person["id"], {})
        over = {week for week, n in most.items() if n > budget}
        cases = open_cases.get(person["id"], 0)
        workers.append(
            {
                "id": person["id"],
                "name": person["name"],
                "role": person["role"],
                "team": person["team_name"] or "",
                "team_id": person["team_id"],
                "disabled": person["disabled_at"] is not None,
                "open_cases": cases,
                "over_limit": max(0, cases - limit),
                "hotspots": hotspots.get(person["id"], 0),
                "most_hotspots": max(most.values(), default=0),
                "weeks_over_budget": len(over),
                "weeks_in_a_row": weeks_in_a_row(over),
            }
        )
    workers.sort(key=_heaviest_first)
    teams = _teams(
        store.teams(db),
        workers,
        cases=_by(counted_cases, "team_id", "cases"),
        unallocated=_by([r for r in counted_cases if r["worker_id"] is None], "team_id", "cases"),
        hotspots=_by(counted_hotspots, "team_id", "hotspots"),
    )
    return {
        "caseload_limit": limit,
        "hotspot_budget": budget,
        "weeks": weeks,
        "weeks_counted": counted,
        "hotspots_held_from": _iso(first),
        "teams": teams,
        "workers": workers,
    }


def weeks_in_a_row(over: set[int]) -> int:
    """How many weeks running, up to the latest, were over the budget."""
    n = 0
    while n in over:
        n += 1
    return n


def weeks_counted(first_day: date | None, as_of: date, weeks: int) -> int:
    """How many of the weeks the score history's hotspots reach back into, from the first
    day it holds one (a newer service holds fewer; none when it holds no hotspot)."""
    if first_day is None:
        return 0
    held = (as_of - first_day).days // 7 + 1
    return max(0, min(weeks, held))


def _heaviest_first(worker: Mapping[str, Any]):
    return (
        -worker["weeks_over_budget"],
        -worker["weeks_in_a_row"],
        -worker["hotspots"],
        -worker["open_cases"],
        worker["name"],
        worker["id"],
    )


def _by(rows: Sequence[Mapping[str, Any]], key: str, count: str) -> dict[Any, int]:
    """The ``count`` column of ``rows`` summed by their ``key`` (None keys left out)."""
    found: dict[Any, int] = {}
    for row in rows:
        if row[key] is not None:
            found[row[key]] = found.get(row[key], 0) + row[count]
    return found


def _teams(
    names: Mapping[int, str],
    workers: Sequence[Mapping[str, Any]],
    *,
    cases: Mapping[int, int],
    unallocated: Mapping[int, int],
    hotspots: Mapping[int, int],
) -> list[dict]:
    teams = {
        team_id: {
            "id": team_id,
            "team": name,
            "workers": 0,
            "open_cases": cases.get(team_id, 0),
            "unallocated": unallocated.get(team_id, 0),
            "hotspots": hotspots.get(team_id, 0),
            "workers_over_limit": 0,
            "workers_over_budget_now": 0,
            "worker_weeks_over_budget": 0,
        }
        for team_id, name in names.items()
    }
    for worker in workers:
        team = teams.get(worker["team_id"])
        if team is None:
            continue
        team["workers"] += 1
        team["workers_over_limit"] += worker["over_limit"] > 0
        team["workers_over_budget_now"] += worker["weeks_in_a_row"] > 0
        team["worker_weeks_over_budget"] += worker["weeks_over_budget"]
    return sorted(
        (t for t in teams.values() if t["workers"] or t["open_cases"]),
        key=lambda t: (-t["worker_weeks_over_budget"], -t["hotspots"], t["team"]),
    )


def _share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a share (0 to 1, to 3 places), or None of nothing."""
    return round(part / whole, 3) if whole else None


# --- tables, for the CSV downloads -------------------------------------------------------

# Each CSV download, by name, and the part of the report it is a table of.
TABLES = {
    "incidents": "incidents",
    "review-table": "review_table",
    "practice": "practice",
    "workforce-teams": "workforce",
    "workforce-workers": "workforce",
}


def table(report: Mapping[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    """One of the report's tables (a name in TABLES) as (header, rows), from a report that
    holds its part."""
    return _tables(report)[name]


def _tables(report: Mapping[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Each table the report's parts make, as (header, rows), by the name of its download."""
    incidents_header = [
        "incident",
        "reference",
        "case_ref",
        "harm",
        "abuse_or_neglect",
        "age_on_the_day",
        "occurred_on",
        "known_on",
        "notify_panel_by",
        "panel_notified_on",
        "notify_panel",
        "rapid_review_by",
        "rapid_review_on",
        "rapid_review",
        "first_red_on",
        "red_days",
        "hotspot_day_before",
        "hindsight_first_red_on",
        "hindsight_red_days",
        "kept_days",
        "reviewed_once_red",
        "actions_agreed",
        "actions_done",
        "domestic_abuse_asked_on",
        "parental_childhood_explored_on",
        "features_at_the_time",
        "features_recorded_later",
        "late_records",
    ]
    incident_rows = [
        [
            *(entry[key] for key in incidents_header[:23]),
            entry["questions_asked"]["domestic_abuse"],
            entry["questions_asked"]["parental_childhood"],
            " ".join(entry["features_at_the_time"]),
            " ".join(entry["features_recorded_later"]),
            entry["late_records"],
        ]
        for entry in report.get("incidents", [])
    ]
    found: dict[str, tuple[list[str], list[list[Any]]]] = {}
    if "incidents" in report:
        found["incidents"] = (incidents_header, incident_rows)
    if "review_table" in report:
        found["review-table"] = _review_rows(report["review_table"])
    if "practice" in report:
        found["practice"] = _practice_rows(report["practice"])
    if "workforce" in report:
        found.update(_workforce_rows(report["workforce"]))
    return found


def _review_rows(table: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    review_header = ["feature", "label", "cases", "of_open_cases", "share", "the_review_found"]
    review_rows = [
        [f["code"], f["label"], f["cases"], table["open_cases"], f["share"], f["review_found"]]
        for f in table["features"]
    ] + [
        [
            "review_pattern",
            "Matches the review's pattern (when last scored)",
            table["pattern"],
            table["open_cases"],
            table["pattern_share"],
            "",
        ]
    ]
    return review_header, review_rows


def _practice_rows(practice: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    practice_header = [
        "team",
        "month",
        "month_end",
        "cases",
        "domestic_abuse_asked",
        "domestic_abuse_share",
        "parental_childhood_explored",
        "parental_childhood_share",
    ]
    practice_rows = [
        ["All teams", *(row[key] for key in practice_header[1:])] for row in practice["months"]
    ] + [[row[key] for key in practice_header] for row in practice["teams"]]
    return practice_header, practice_rows


def _workforce_rows(workforce: Mapping[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    team_header = [
        "team",
        "workers",
        "open_cases",
        "unallocated",
        "hotspots",
        "workers_over_limit",
        "workers_over_budget_now",
        "worker_weeks_over_budget",
    ]
    worker_header = [
        "name",
        "team",
        "role",
        "disabled",
        "open_cases",
        "over_limit",
        "hotspots",
        "most_hotspots",
        "weeks_over_budget",
        "weeks_in_a_row",
    ]
    return {
        "workforce-teams": (team_header, [[t[k] for k in team_header] for t in workforce["teams"]]),
        "workforce-workers": (
            worker_header,
            [[w[k] for k in worker_header] for w in workforce["workers"]],
        ),
    }
