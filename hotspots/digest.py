"""The manager's daily hotspot digest, built as plain data.

Pure: no Flask, no database, no clock. The sender (``hotspots.sending``) gathers the rows,
calls ``build_digest`` with the digest ``date`` and ``now``, and renders the result with the
templates in ``templates/email/``.

Every rule it applies is the one in ``hotspots.rules`` (hotspot, trend, reviewed, practice
gaps, reasons), the same the pages use. Words used here (and in docs/digest.md):

- *hotspot*: an open case in the red band ("Hotspot", as the pages say).
- *new hotspot*: a hotspot that was not one on the previous digest's date (the day before the
  digest when the manager has had none): a band on a day is the latest ``score_history`` row
  on or before that day. A case with no history on or before that day is new only if it
  opened after it (so a service whose history starts today does not call every hotspot new).
- *unreviewed*: a hotspot red for more than ``[digest] unreviewed_after_days`` days and not
  reviewed within them (``hotspots.rules.is_unreviewed_hotspot``).
- *needs you today*: every hotspot that is new, unallocated, unreviewed or has a visit
  overdue, each with the one action it needs.
- *several current concerns*: at least ``[scoring.accumulation] min_concerns`` indicators
  current. The digest never reads as "nothing to worry about" while such cases are open: the
  team's highest-ranked cases are always listed, whatever their band.

Personal data is minimal on purpose: case reference and initials, the worker's name (staff,
not children), never a child's name or date of birth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hotspots import rules

# What each kind of "needs you today" asks of the manager, most urgent first.
ACTIONS = {
    "unallocated": "Unallocated hotspot: allocate it to a worker today",
    "new": "New hotspot: agree a plan with the worker and record a review",
    "unreviewed": "Hotspot not reviewed for {days} days: review it and record the plan",
    "visit_overdue": "Hotspot with a visit overdue: make sure the child is seen",
}


def build_digest(
    *,
    manager: Mapping[str, Any],
    team: Mapping[str, Any],
    workers: Sequence[Mapping[str, Any]],
    cases: Sequence[Mapping[str, Any]],
    history: Mapping[int, Sequence[tuple[str, float, str]]],
    previous_digest_date: date | None,
    date: date,
    now: datetime,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """One manager's digest for ``date``.

    ``manager``: {id, email, name}; ``team``: {id, name}; ``workers``: the team's workers,
    {id, name}. ``cases``: the team's open cases, each {id, case_ref, initials, worker_id,
    worker_name, opened_on, last_visit_on, score, band, contributions (list or JSON text),
    scored_on, score_then (the score on the trend day), red_since, last_reviewed_on,
    practice_gaps (the stored mask), current_concerns}; score and band are None for a case
    not yet scored. ``history``: case id -> [(day, score, band)] in day order, reaching back
    at least to the previous digest's date (or the day before). Returns plain data for the
    templates.
    """
    digest_settings = settings["digest"]
    base_url = settings["app"]["base_url"].rstrip("/")
    compare_day = previous_digest_date or (date - timedelta(days=1))
    within = digest_settings["unreviewed_after_days"]
    limit = digest_settings["list_limit"]
    several = int((settings["scoring"].get("accumulation") or {}).get("min_concerns", 3))

    rows = []
    for case in cases:
        score = case["score"]
        band = case["band"]
        hotspot = rules.is_hotspot(band)
        before = _on_or_before(history.get(case["id"], ()), compare_day)
        red_since = _as_date(case.get("red_since") or case.get("scored_on")) if hotspot else None
        reviewed_on = _as_date(case.get("last_reviewed_on"))
        last_visit = _as_date(case.get("last_visit_on"))
        gaps = rules.gap_codes(case.get("practice_gaps"))
        row = {
            "case_ref": case["case_ref"],
            "initials": case["initials"],
            "worker": case["worker_name"],
            "allocated": case["worker_id"] is not None,
            "worker_id": case["worker_id"],
            "url": f"{base_url}/cases/{quote(case['case_ref'], safe='')}",
            "score": None if score is None else round(score, 1),
            "band": band,
            "band_words": rules.band_words(band),
            "hotspot": hotspot,
            "trend": rules.trend(score, case.get("score_then")),
            "new": hotspot
            and (
                not rules.is_hotspot(before[2])
                if before is not None
                else _as_date(case["opened_on"]) > compare_day
            ),
            "reasons": top_reasons(case.get("contributions"), digest_settings["reasons_per_case"]),
            "days_since_visit": (date - last_visit).days if last_visit else None,
            "visit_overdue": "visit_overdue" in gaps,
            "reviewed": rules.is_reviewed(reviewed_on, date, within),
            "reviewed_on": reviewed_on,
            "unreviewed": rules.is_unreviewed_hotspot(band, red_since, reviewed_on, date, within),
            "days_red": (date - red_since).days if red_since else None,
            "days_open": (date - _as_date(case["opened_on"])).days,
            "no_domestic_abuse_enquiry": "no_domestic_abuse_enquiry" in gaps,
            "current_concerns": int(case.get("current_concerns") or 0),
        }
        row["action"] = _action(row)
        rows.append(row)

    by_score = sorted(rows, key=lambda r: (-(r["score"] or 0.0), r["case_ref"]))
    hotspots = [r for r in by_score if r["hotspot"]]
    needs_you = [r for r in hotspots if r["action"]]
    rising = sorted(
        (
            r
            for r in rows
            if r["trend"] is not None and r["trend"] >= digest_settings["rising_min_points"]
        ),
        key=lambda r: (-r["trend"], r["case_ref"]),
    )
    no_enquiry = [r for r in by_score if r["no_domestic_abuse_enquiry"]]
    several_concerns = [r for r in by_score if r["current_concerns"] >= several]
    unreviewed = [r for r in hotspots if r["unreviewed"]]

    return {
        "date": date,
        "generated_at": now,
        "since": compare_day,
        "since_previous_digest": previous_digest_date is not None,
        "manager": {"id": manager["id"], "email": manager["email"], "name": manager["name"]},
        "team": {"id": team["id"], "name": team["name"]},
        "base_url": base_url,
        "counts": {
            "open_cases": len(rows),
            "hotspots": len(hotspots),
            "new_hotspots": sum(1 for r in hotspots if r["new"]),
            "needs_you": len(needs_you),
            "rising": len(rising),
            "unreviewed": len(unreviewed),
            "no_domestic_abuse_enquiry": len(no_enquiry),
            "several_concerns": len(several_concerns),
            "unallocated_hotspots": sum(1 for r in hotspots if not r["allocated"]),
        },
        "needs_you": needs_you,
        "top_cases": [r for r in by_score if r["score"] is not None][
            : digest_settings["top_hotspots"]
        ],
        "unreviewed": unreviewed[:limit],
        "rising": rising[:limit],
        "no_domestic_abuse_enquiry": no_enquiry[:limit],
        "workers": worker_loads(workers, rows),
        "settings": {
            "top_hotspots": digest_settings["top_hotspots"],
            "unreviewed_after_days": within,
            "trend_days": rules.TREND_DAYS,
            "rising_min_points": digest_settings["rising_min_points"],
            "several_concerns": several,
            "list_limit": limit,
        },
    }


def _action(row: Mapping[str, Any]) -> str | None:
    """The one action a hotspot needs today, most urgent first; None when it needs none."""
    if not row["hotspot"]:
        return None
    if not row["allocated"]:
        return ACTIONS["unallocated"]
    if row["new"]:
        return ACTIONS["new"]
    if row["unreviewed"]:
        return ACTIONS["unreviewed"].format(days=row["days_red"])
    if row["visit_overdue"]:
        return ACTIONS["visit_overdue"]
    return None


def top_reasons(contributions: str | Iterable[Mapping] | None, n: int) -> list[dict[str, Any]]:
    """The case's reasons (``hotspots.rules.reasons``) as {code, label, points}."""
    if not contributions:
        return []
    if isinstance(contributions, str):
        contributions = json.loads(contributions)
    return rules.reasons(contributions, n)


def worker_loads(
    workers: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each worker's open caseload and hotspot count, most hotspots first (who carries the
    most). Workers of the team with no cases are listed too, with zeros."""
    loads: dict[int, dict[str, Any]] = {
        w["id"]: {"name": w["name"], "caseload": 0, "hotspots": 0} for w in workers
    }
    for r in rows:
        if r["worker_id"] is None:
            continue
        load = loads.setdefault(r["worker_id"], {"name": r["worker"], "caseload": 0, "hotspots": 0})
        load["caseload"] += 1
        load["hotspots"] += r["hotspot"]
    return sorted(loads.values(), key=lambda w: (-w["hotspots"], -w["caseload"], w["name"]))


def is_digest_day(day: date, send_days: str, holidays: Iterable[date]) -> bool:
    """True when digests go out on ``day``: one of ``send_days`` (APScheduler day_of_week
    text such as ``mon-fri`` or ``mon,wed,fri``) and not a bank holiday."""
    return day.weekday() in weekdays(send_days) and day not in set(holidays)


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays(send_days: str) -> set[int]:
    """``mon-fri`` -> {0, 1, 2, 3, 4}. Accepts names, ranges and commas (``*`` = every day)."""
    result: set[int] = set()
    for part in send_days.lower().replace(" ", "").split(","):
        if part in ("*", ""):
            result.update(range(7))
            continue
        first, _, last = part.partition("-")
        try:
            start = WEEKDAY_NAMES.index(first[:3])
            end = WEEKDAY_NAMES.index(last[:3]) if last else start
        except ValueError:
            raise ValueError(f"[digest] send_days: {part!r} is not a day such as mon-fri") from None
        if end < start:
            result.update(range(start, 7))
            result.update(range(0, end + 1))
        else:
            result.update(range(start, end + 1))
    return result


def _on_or_before(days: Sequence[tuple[str, float, str]], day: date) -> tuple | None:
    """The latest (day, score, band) on or before ``day``, or None."""
    found = None
    wanted = day.isoformat()
    for row in days:
        if str(row[0]) <= wanted:
            found = row
        else:
            break
    return found


def _as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
