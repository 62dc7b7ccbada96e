"""The manager's daily hotspot digest, built as plain data.

Pure: no Flask, no database, no clock. The sender (``hotspots.sending``) gathers the rows,
calls ``build_digest`` with the digest ``date`` and ``now``, and renders the result with the
templates in ``templates/email/``.

Words used here (and in docs/digest.md):

- *hotspot*: an open case whose current band is red.
- *red since*: the first day of the case's current unbroken run of red days in
  ``score_history`` (the scores row's ``as_of`` when history does not show it).
- *reviewed*: a hotspot is reviewed when its latest ``reviews`` row was made within the last
  ``[digest] unreviewed_after_days`` days: the same rule as the web pages, so a long-running
  hotspot is looked at again every so often. A hotspot that is not reviewed and has been red
  for more than ``unreviewed_after_days`` days is listed as unreviewed.
- *new hotspot*: red now, and not red on the previous digest's date (the day before the
  digest when the manager has had none): a band on a day is the latest ``score_history`` row
  on or before that day. A case with no history on or before that day is new only if it
  opened after it (so a service whose history starts today does not call every hotspot new).
- *trend*: the score now minus the score on the day 7 days before the digest date (again the
  latest history row on or before it); ``None`` when history does not reach back that far.
- *rising*: a trend of at least ``[digest] rising_min_points``.

Personal data is minimal on purpose: case reference and initials, the worker's name (staff,
not children), never a child's name or date of birth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

TREND_DAYS = 7


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
    scored_on, red_since, last_reviewed_on, has_domestic_abuse_enquiry, current_indicators};
    score and band are None for a case not yet scored. ``history``: case id -> [(day, score,
    band)] in day order, reaching back at least to the earlier of the previous digest's date
    and ``date`` - 7 days. Returns plain data (see the keys below) for the templates.
    """
    digest_settings = settings["digest"]
    base_url = digest_settings["base_url"].rstrip("/")
    compare_day = previous_digest_date or (date - timedelta(days=1))
    trend_day = date - timedelta(days=TREND_DAYS)
    unreviewed_after = digest_settings["unreviewed_after_days"]
    limit = digest_settings["list_limit"]
    enquiry_due_days = settings["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"]

    rows = []
    for case in cases:
        days = history.get(case["id"], ())
        score = case["score"]
        band = case["band"]
        then = _on_or_before(days, trend_day)
        trend = round(score - then[1], 1) if score is not None and then else None
        before = _on_or_before(days, compare_day)
        red = band == "red"
        red_since = _as_date(case.get("red_since") or case.get("scored_on")) if red else None
        reviewed_on = _as_date(case.get("last_reviewed_on"))
        reviewed = bool(red and reviewed_on and (date - reviewed_on).days <= unreviewed_after)
        last_visit = _as_date(case.get("last_visit_on"))
        rows.append(
            {
                "case_ref": case["case_ref"],
                "initials": case["initials"],
                "worker": case["worker_name"],
                "allocated": case["worker_id"] is not None,
                "worker_id": case["worker_id"],
                "url": f"{base_url}/cases/{quote(case['case_ref'], safe='')}",
                "score": None if score is None else round(score, 1),
                "band": band,
                "trend": trend,
                "new": red
                and (
                    before[2] != "red"
                    if before is not None
                    else _as_date(case["opened_on"]) > compare_day
                ),
                "reasons": top_reasons(
                    case.get("contributions"), digest_settings["reasons_per_case"]
                ),
                "days_since_visit": (date - last_visit).days if last_visit else None,
                "reviewed": reviewed,
                "reviewed_on": reviewed_on.isoformat() if reviewed and reviewed_on else None,
                "days_red": (date - red_since).days if red_since else None,
                "days_open": (date - _as_date(case["opened_on"])).days,
                "has_domestic_abuse_enquiry": bool(case["has_domestic_abuse_enquiry"]),
                "current_indicators": case["current_indicators"],
            }
        )

    by_score = sorted(rows, key=lambda r: (-(r["score"] or 0.0), r["case_ref"]))
    hotspots = [r for r in by_score if r["band"] == "red"]
    unreviewed = sorted(
        (r for r in hotspots if not r["reviewed"] and (r["days_red"] or 0) > unreviewed_after),
        key=lambda r: (-r["days_red"], r["case_ref"]),
    )
    rising = sorted(
        (
            r
            for r in rows
            if r["trend"] is not None and r["trend"] >= digest_settings["rising_min_points"]
        ),
        key=lambda r: (-r["trend"], r["case_ref"]),
    )
    no_enquiry = [
        r
        for r in by_score
        if not r["has_domestic_abuse_enquiry"] and r["days_open"] > enquiry_due_days
    ]
    unallocated = [r for r in by_score if not r["allocated"] and r["current_indicators"] > 0]

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
            "rising": len(rising),
            "unreviewed": len(unreviewed),
            "no_domestic_abuse_enquiry": len(no_enquiry),
            "unallocated_with_indicators": len(unallocated),
        },
        "top_hotspots": hotspots[: digest_settings["top_hotspots"]],
        "unreviewed": unreviewed[:limit],
        "rising": rising[:limit],
        "no_domestic_abuse_enquiry": no_enquiry[:limit],
        "unallocated": unallocated[:limit],
        "workers": worker_loads(workers, rows),
        "settings": {
            "top_hotspots": digest_settings["top_hotspots"],
            "unreviewed_after_days": unreviewed_after,
            "trend_days": TREND_DAYS,
            "rising_min_points": digest_settings["rising_min_points"],
            "enquiry_due_days": enquiry_due_days,
            "list_limit": limit,
        },
    }


def top_reasons(contributions: str | Iterable[Mapping] | None, n: int) -> list[dict[str, Any]]:
    """The ``n`` contributions that add the most points, as {label, points}. Contributions
    that lower the score (a negative adjustment) are not reasons a case is hot, and the
    child's age row only scales the indicators, as in ``scoring.reasons``."""
    if not contributions:
        return []
    if isinstance(contributions, str):
        contributions = json.loads(contributions)
    positive = [c for c in contributions if c.get("points", 0) > 0 and c.get("kind") != "age"]
    positive.sort(key=lambda c: (-c["points"], c.get("label", "")))
    return [
        {"label": c.get("label") or c.get("code", ""), "points": round(c["points"], 1)}
        for c in positive[:n]
    ]


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
        load["hotspots"] += r["band"] == "red"
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
