"""The manager's daily hotspot digest, built as plain data.

Pure: no Flask, no database, no clock. The sender (``hotspots.services.sending``) gathers the rows,
calls ``build_digest`` with the digest ``date`` and ``now``, and renders the result with the
templates in ``templates/email/``. The team page calls ``case_rows`` and ``needs_you_today``
on the same rows, so the page and the email say the same things in the same order.

Every rule it applies is the one in ``hotspots.model.rules`` (hotspot, trend, reviewed, awaiting a
review, a visit overdue, practice gaps, reasons), the same the pages use. Words used here (and
in docs/digest.md):

- *hotspot*: an open case in the red band ("Hotspot", as the pages say).
- *new hotspot*: a hotspot that was not one on the previous digest's date (the day before the
  digest when the manager has had none): a band on a day is the latest ``score_history`` row
  on or before that day. A case with no history on or before that day is new only if it
  opened after it (so a service whose history starts today does not call every hotspot new).
- *not seen on time*: the child's next visit was due before today (the last visit where the
  child was seen, or the opening, plus the case's visit interval: ``rules.visit_overdue_days``).
- *awaiting a review*: ``rules.awaits_review`` (no agreed action open, and no review within
  ``[digest] unreviewed_after_days`` days, or its actions done since the last one).
- *needs you today*: at most ``NEEDS_YOU_LINES`` lines, most urgent first (``needs_you_today``).
  Every number of days in it comes from the case's own records (visits, reviews, actions,
  the opening), never from how long the service has held scores.
- *several current concerns*: at least ``[scoring.accumulation] min_concerns`` indicators
  current. The digest never reads as "nothing to worry about" while such cases are open: the
  team's highest-ranked cases are always listed, whatever their band.

Personal data is minimal on purpose: case reference and initials, the worker's name (staff,
not children), never a child's name or date of birth, and of an action only its kind (its
free-text details may name people).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hotspots.model import rules

# The "needs you today" budget: every list a person reads has one, and an alert list that
# grows with the caseload is one nobody reads (Rapid Safety Feedback's lesson).
NEEDS_YOU_LINES = 10
# The kinds of line, most urgent first: a hotspot whose child has not been seen on time, a
# new hotspot, an unallocated hotspot, an action past its due date. After them one line counts
# the hotspots awaiting a review.
LINE_KINDS = ("unseen", "new", "unallocated", "action_overdue")


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
    overdue_actions: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One manager's digest for ``date``.

    ``manager``: {id, email, name}; ``team``: {id, name}; ``workers``: the team's workers,
    {id, name}. ``cases``: the team's open cases, each {id, case_ref, initials, worker_id,
    worker_name, opened_on, last_visit_on, visit_every_days, score, band, contributions (list
    or JSON text), scored_on, score_then (the score on the trend day), last_reviewed_on,
    last_reviewed_at, open_actions, last_action_closed_at, practice_gaps (the stored mask),
    current_concerns}; score and band are None for a case not yet scored. ``history``: case id
    -> [(day, score, band)] in day order, reaching back at least to the previous digest's date
    (or the day before). ``overdue_actions``: the team's open actions past their due date,
    {case_id, case_ref, initials, kind, owner_name, due_on}, the longest overdue first.
    Returns plain data for the templates.
    """
    digest_settings = settings["digest"]
    base_url = settings["app"]["base_url"].rstrip("/")
    compare_day = previous_digest_date or (date - timedelta(days=1))
    limit = digest_settings["list_limit"]
    several = int((settings["scoring"].get("accumulation") or {}).get("min_concerns", 3))

    rows = case_rows(cases, history, compare_day=compare_day, date=date, settings=settings)
    by_score = sorted(rows, key=lambda r: (-(r["score"] or 0.0), r["case_ref"]))
    hotspots = [r for r in by_score if r["hotspot"]]
    needs_you = needs_you_today(rows, overdue_actions, date=date, base_url=base_url)
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
    awaiting = [r for r in hotspots if r["awaiting_review"]]

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
            "needs_you": needs_you["total"],
            "rising": len(rising),
            "awaiting_review": len(awaiting),
            "no_domestic_abuse_enquiry": len(no_enquiry),
            "several_concerns": len(several_concerns),
            "unallocated_hotspots": sum(1 for r in hotspots if not r["allocated"]),
            "unseen_hotspots": sum(1 for r in hotspots if r["unseen"]),
            "actions_overdue": len(overdue_actions),
        },
        "needs_you": needs_you["lines"],
        "top_cases": [r for r in by_score if r["score"] is not None][
            : digest_settings["top_hotspots"]
        ],
        "awaiting_review": awaiting[:limit],
        "rising": rising[:limit],
        "no_domestic_abuse_enquiry": no_enquiry[:limit],
        "workers": worker_loads(workers, rows),
        "settings": {
            "top_hotspots": digest_settings["top_hotspots"],
            "unreviewed_after_days": digest_settings["unreviewed_after_days"],
            "trend_days": rules.TREND_DAYS,
            "rising_min_points": digest_settings["rising_min_points"],
            "several_concerns": several,
            "list_limit": limit,
        },
    }


def case_rows(
    cases: Sequence[Mapping[str, Any]],
    history: Mapping[int, Sequence[tuple[str, float, str]]],
    *,
    compare_day: date,
    date: date,
    settings: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """What the digest (and the team page's "needs you today") knows about each open case on
    ``date``, by the shared rules; ``cases`` and ``history`` as ``build_digest`` takes them."""
    digest_settings = settings["digest"]
    base_url = settings["app"]["base_url"].rstrip("/")
    within = digest_settings["unreviewed_after_days"]
    rows = []
    for case in cases:
        score = case["score"]
        band = case["band"]
        hotspot = rules.is_hotspot(band)
        before = _on_or_before(history.get(case["id"], ()), compare_day)
        opened_on = _as_date(case["opened_on"])
        reviewed_on = _as_date(case.get("last_reviewed_on"))
        last_visit = _as_date(case.get("last_visit_on"))
        every = int(case["visit_every_days"])
        overdue_days = rules.visit_overdue_days(last_visit, opened_on, every, date)
        done_since = rules.actions_done_since_review(
            case.get("last_reviewed_at"), case.get("last_action_closed_at")
        )
        open_actions = int(case.get("open_actions") or 0)
        gaps = rules.gap_codes(case.get("practice_gaps"))
        rows.append(
            {
                "id": case["id"],
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
                    else opened_on > compare_day
                ),
                "reasons": top_reasons(
                    case.get("contributions"), digest_settings["reasons_per_case"]
                ),
                "opened_on": opened_on,
                "last_visit_on": last_visit,
                "days_since_visit": (date - last_visit).days if last_visit else None,
                "next_visit_due": rules.next_visit_due(last_visit, opened_on, every),
                "visit_overdue_days": overdue_days,
                "unseen": hotspot and overdue_days > 0,
                "reviewed": rules.is_reviewed(reviewed_on, date, within),
                "reviewed_on": reviewed_on,
                "open_actions": open_actions,
                "actions_done_on": (
                    _as_date(case.get("last_action_closed_at")) if done_since else None
                ),
                "awaiting_review": rules.awaits_review(
                    band,
                    last_reviewed_on=reviewed_on,
                    open_actions=open_actions,
                    actions_done_since_review=done_since,
                    as_of=date,
                    within_days=within,
                ),
                "days_open": (date - opened_on).days,
                "no_domestic_abuse_enquiry": "no_domestic_abuse_enquiry" in gaps,
                "current_concerns": int(case.get("current_concerns") or 0),
            }
        )
    return rows


def needs_you_today(
    rows: Sequence[Mapping[str, Any]],
    overdue_actions: Sequence[Mapping[str, Any]],
    *,
    date: date,
    base_url: str,
    limit: int = NEEDS_YOU_LINES,
) -> dict[str, Any]:
    """What needs the manager today, most urgent first, in at most ``limit`` lines: each
    hotspot whose child has not been seen on time (the longest overdue first), each new
    hotspot, each unallocated hotspot (the highest score first), each action past its due date
    (the longest overdue first), one line per case; then one line counting the hotspots
    awaiting a review, with the one waiting longest. When that is more than ``limit`` lines,
    the last line names the rest of the children not seen on time and counts the other lines
    and the reviews awaited, so nothing goes unsaid.

    ``rows`` are ``case_rows``; ``overdue_actions`` as ``build_digest`` takes them. Each line
    is {kind, case_ref, initials, worker, url, fact, todo}: the fact and the one thing to do.
    Returns {"lines", "counts" (of each kind, awaiting_review too), "total"}."""
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in LINE_KINDS}
    named: set[int] = set()
    hotspots = sorted(
        (r for r in rows if r["hotspot"]), key=lambda r: (-(r["score"] or 0.0), r["case_ref"])
    )
    # The longest overdue first; sorted() is stable, so the highest score first among equals.
    unseen = sorted((r for r in hotspots if r["unseen"]), key=lambda r: -r["visit_overdue_days"])
    for kind, chosen in (
        ("unseen", unseen),
        ("new", [r for r in hotspots if r["new"]]),
        ("unallocated", [r for r in hotspots if not r["allocated"]]),
    ):
        for row in chosen:
            if row["id"] not in named:
                named.add(row["id"])
                by_kind[kind].append(_case_line(kind, row, date))
    for action in overdue_actions:
        if action["case_id"] not in named:
            named.add(action["case_id"])
            by_kind["action_overdue"].append(_action_line(action, date, base_url))
    awaiting = [r for r in hotspots if r["awaiting_review"] and r["id"] not in named]
    candidates = [line for kind in LINE_KINDS for line in by_kind[kind]]
    counts = {kind: len(lines) for kind, lines in by_kind.items()}
    counts["awaiting_review"] = len(awaiting)
    review_line = [_review_line(awaiting)] if awaiting else []
    if len(candidates) + len(review_line) <= limit:
        lines = candidates + review_line
    else:
        lines = [*candidates[: limit - 1], _more_line(candidates[limit - 1 :], awaiting)]
    return {"lines": lines, "counts": counts, "total": len(candidates) + len(awaiting)}


def _case_line(kind: str, row: Mapping[str, Any], today: date) -> dict[str, Any]:
    unallocated = not row["allocated"]
    if kind == "unseen":
        due = row["next_visit_due"]
        if row["last_visit_on"]:
            seen = f"the child was last seen on {_long(row['last_visit_on'])}"
        else:
            seen = (
                "no visit where the child was seen is recorded since the case opened on "
                f"{_long(row['opened_on'])}"
            )
        fact = (
            f"{'Unallocated hotspot' if unallocated else 'Hotspot'}: {seen}, and a visit was "
            f"due by {_long(due)}, {_days_ago(today - due)}"
        )
        todo = (
            "allocate it today so that the child is seen"
            if unallocated
            else "make sure the child is seen today"
        )
    elif kind == "new":
        fact = f"New hotspot, score {row['score']:.1f}" + (", unallocated" if unallocated else "")
        todo = (
            "allocate it to a worker today and agree what to do"
            if unallocated
            else f"agree with {row['worker']} what to do, and record the review"
        )
    else:  # unallocated
        fact = f"Unallocated hotspot, open since {_long(row['opened_on'])}"
        todo = "allocate it to a worker today"
    return {
        "kind": kind,
        "case_ref": row["case_ref"],
        "initials": row["initials"],
        "worker": row["worker"],
        "url": row["url"],
        "fact": fact,
        "todo": todo,
    }


def _action_line(action: Mapping[str, Any], today: date, base_url: str) -> dict[str, Any]:
    due = _as_date(action["due_on"])
    what = rules.ACTION_KINDS.get(action["kind"], "An agreed action")
    return {
        "kind": "action_overdue",
        "case_ref": action["case_ref"],
        "initials": action["initials"],
        "worker": action.get("worker_name"),
        "url": f"{base_url}/cases/{quote(action['case_ref'], safe='')}",
        "fact": f"Action past its due date: {what}, by {action['owner_name']}, due by "
        f"{_long(due)}, {_days_ago(today - due)}",
        "todo": f"check with {action['owner_name']} and record what happened",
    }


def waiting_since(row: Mapping[str, Any]) -> tuple[date, str]:
    """Since when a hotspot has awaited a review, from its own records, and that in words:
    its actions closed, its last review, or its opening."""
    if row["actions_done_on"]:
        return row["actions_done_on"], f"its actions closed on {_long(row['actions_done_on'])}"
    if row["reviewed_on"]:
        return row["reviewed_on"], f"last reviewed on {_long(row['reviewed_on'])}"
    return row["opened_on"], f"not reviewed since it opened on {_long(row['opened_on'])}"


def _review_line(awaiting: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    oldest = min(awaiting, key=lambda r: (waiting_since(r)[0], r["case_ref"]))
    n = len(awaiting)
    label = oldest["case_ref"] + (f" ({oldest['initials']})" if oldest["initials"] else "")
    if n == 1:
        fact = f"1 hotspot awaits a review: {label}, {waiting_since(oldest)[1]}"
    else:
        fact = (
            f"{n} hotspots await a review; the longest waiting is {label}, "
            f"{waiting_since(oldest)[1]}"
        )
    return {
        "kind": "awaiting_review",
        "case_ref": None,
        "count": n,
        "oldest": oldest["case_ref"],
        "fact": fact,
        "todo": "review it with its worker" if n == 1 else "review them with their workers",
    }


_KIND_WORDS = {
    "new": ("new hotspot", "new hotspots"),
    "unallocated": ("unallocated hotspot", "unallocated hotspots"),
    "action_overdue": ("action past its due date", "actions past their due date"),
}


# The most references the last line names (every child not seen on time is named, up to
# this many; a team with more is told how many more).
MORE_LINE_NAMES = 12


def _more_line(
    rest: Sequence[Mapping[str, Any]], awaiting: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The last line when the rest does not fit: it still names each hotspot whose child has
    not been seen on time, then counts the other kinds and the reviews awaited."""
    unseen = [line for line in rest if line["kind"] == "unseen"]
    parts = []
    if unseen:
        names = [
            line["case_ref"] + (f" ({line['initials']})" if line["initials"] else "")
            for line in unseen[:MORE_LINE_NAMES]
        ]
        if len(unseen) > MORE_LINE_NAMES:
            names.append(f"{len(unseen) - MORE_LINE_NAMES} more")
        parts.append(f"not seen on time: {_and_list(names)}")
    others = {kind: 0 for kind in LINE_KINDS if kind != "unseen"}
    for line in rest:
        if line["kind"] != "unseen":
            others[line["kind"]] += 1
    parts += [f"{n} more {_KIND_WORDS[kind][n != 1]}" for kind, n in others.items() if n]
    if awaiting:
        n = len(awaiting)
        since = min(waiting_since(r)[0] for r in awaiting)
        parts.append(
            f"{n} {'hotspot awaits' if n == 1 else 'hotspots await'} a review (the longest "
            f"waiting since {_long(since)})"
        )
    return {
        "kind": "more",
        "case_ref": None,
        "count": len(rest) + len(awaiting),
        "fact": "Also " + "; ".join(parts),
        "todo": "see them all on the team page",
        "unseen": [line["case_ref"] for line in unseen],
    }


def _and_list(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _days_ago(delta: timedelta) -> str:
    return "1 day ago" if delta.days == 1 else f"{delta.days} days ago"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def top_reasons(contributions: str | Iterable[Mapping] | None, n: int) -> list[dict[str, Any]]:
    """The case's reasons (``hotspots.model.rules.reasons``) as {code, label, points}."""
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


def lease_has_run_out(claimed_at: datetime, now: datetime, lease: timedelta) -> bool:
    """Whether a digest's claim made at ``claimed_at`` may be taken over at ``now``: its
    lease (``[digest] claim_lease_minutes``) ended before ``now``. At the very instant it
    ends the claim still holds. Its SQL twin: hotspots.storage.rules.LEASE_RUN_OUT."""
    return claimed_at + lease < now
