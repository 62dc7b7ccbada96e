"""Turning rows into what a page shows: ages, bands, trends, sparklines, reasons, visit dates.

Plain functions over plain data (no Flask, no clock): the views pass ``today``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hotspots.base.dates import parse_date
from hotspots.model import rules, scoring

BANDS = {
    # band: (words, govuk-tag colour class). Never colour alone: the words carry the meaning.
    band: (rules.band_words(band), classes)
    for band, classes in (
        ("red", "govuk-tag--red"),
        ("amber", "govuk-tag--orange"),
        ("green", "govuk-tag--green"),
    )
}
KIND_WORDS = {
    "indicator": "Indicator",
    "combination": "Combination",
    "accumulation": "Several concerns",
    "practice_gap": "Practice gap",
    "age": "Child's age",
    "adjustment": "Practitioner adjustment",
}
# Words for source agency codes that are not just the code with spaces.
SOURCE_WORDS = {"gp": "GP", "cp_is": "CP-IS", "nhs": "NHS", "marac": "MARAC"}
SPARKLINE_DAYS = 30
TREND_DAYS = rules.TREND_DAYS
# A change smaller than this is shown as steady.
TREND_STEADY = 0.5


def age_text(date_of_birth: str, today: date, birth_status: str) -> str:
    """The child's age in words: "4 months", "1 year 2 months", "6 years"; for an unborn
    child (``birth_status``, see the cases table) "unborn, due 10 January 2027", "unborn, was
    due 3 March 2026" (the birth not yet recorded) or "unborn, due date not known"."""
    if birth_status == "due_unknown":
        return "unborn, due date not known"
    if birth_status == "due":
        due = parse_date(date_of_birth)
        return f"unborn, {'was due' if due < today else 'due'} {long_date(due)}"
    born = parse_date(date_of_birth)
    months = (today.year - born.year) * 12 + today.month - born.month
    if today.day < born.day:
        months -= 1
    if months < 0:
        return "not yet born"
    if months < 1:
        weeks = (today - born).days // 7
        return "under 1 week" if weeks < 1 else _plural(weeks, "week")
    years, months = divmod(months, 12)
    if years == 0:
        return _plural(months, "month")
    if years >= 5 or months == 0:
        return _plural(years, "year")
    return f"{_plural(years, 'year')} {_plural(months, 'month')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def source_words(code: str) -> str:
    """A source agency code in words: "health_visiting" → "Health visiting", "gp" → "GP"."""
    return SOURCE_WORDS.get(code) or code.replace("_", " ").capitalize()


def band(band_code: str | None) -> dict[str, str]:
    """The band's words and tag class; "Not scored" for a case with no score yet."""
    if band_code not in BANDS:
        return {"code": "", "text": "Not scored", "classes": "govuk-tag--grey"}
    text, classes = BANDS[band_code]
    return {"code": band_code, "text": text, "classes": classes}


def trend(score: float | None, score_week_ago: float | None) -> dict[str, str]:
    """The change against 7 days ago (``hotspots.model.rules.trend``) as an arrow and words (the
    arrow is decoration)."""
    change = rules.trend(score, score_week_ago)
    if change is None:
        return {"arrow": "", "text": "New", "direction": "new"}
    if abs(change) < TREND_STEADY:
        return {"arrow": "→", "text": "Steady", "direction": "steady"}
    if change > 0:
        return {"arrow": "↑", "text": f"Up {change:.1f}", "direction": "up"}
    return {"arrow": "↓", "text": f"Down {-change:.1f}", "direction": "down"}


def ordered(contributions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Contributions largest first (a match with the review's pattern, the reason a case is a
    hotspot, before them; the age row, which scales the indicators, after them)."""
    items = [dict(c) for c in contributions]
    return sorted(
        items,
        key=lambda c: (
            c.get("kind") != rules.PATTERN_KIND,
            c.get("kind") == "age",
            -abs(float(c.get("points") or 0)),
        ),
    )


def next_visit_due(last_visit_on: str | None, opened_on: str, visit_every_days: int) -> date:
    """The day the next visit is due: the last visit (or the case opening) plus the
    case's visit frequency."""
    last = parse_date(last_visit_on) if last_visit_on else None
    return rules.next_visit_due(last, parse_date(opened_on), visit_every_days)


def reviewed(last_reviewed_at: str | None, today: date, within_days: int) -> dict[str, Any]:
    """The reviewed state (``hotspots.model.rules.is_reviewed``): reviewed within ``within_days``
    days, or not."""
    if not last_reviewed_at:
        return {"reviewed": False, "text": "Not reviewed", "on": None}
    on = parse_date(last_reviewed_at[:10])
    if not rules.is_reviewed(on, today, within_days):
        return {"reviewed": False, "text": f"Last reviewed {long_date(on)}", "on": on}
    return {"reviewed": True, "text": f"Reviewed {long_date(on)}", "on": on}


def review_state(row: Mapping[str, Any], today: date, within_days: int) -> dict[str, Any]:
    """Where a case's follow-through stands, in words (``hotspots.model.rules.awaits_review``): its
    open actions (the soonest due, and whether it is past its due date), a hotspot awaiting a
    review, or when it was last reviewed. ``row`` has band, last_reviewed_at, open_actions,
    next_action_due and last_action_closed_at. ``attention``: shown in bold."""
    last_at = row.get("last_reviewed_at")
    last_on = parse_date(last_at[:10]) if last_at else None
    open_actions = int(row.get("open_actions") or 0)
    done_since = rules.actions_done_since_review(last_at, row.get("last_action_closed_at"))
    awaiting = rules.awaits_review(
        row.get("band"),
        last_reviewed_on=last_on,
        open_actions=open_actions,
        actions_done_since_review=done_since,
        as_of=today,
        within_days=within_days,
    )
    if open_actions:
        due = parse_date(row["next_action_due"])
        late = rules.is_action_overdue("open", due, today)
        noun = "action" if open_actions == 1 else "actions"
        text = f"{open_actions} {noun} open, " + (
            f"one past its due date ({long_date(due)})" if late else f"next due {long_date(due)}"
        )
        return {"text": text, "attention": late, "awaiting": False}
    if awaiting:
        if done_since:
            since = f"actions closed {long_date(row['last_action_closed_at'])}"
        elif last_on:
            since = f"last reviewed {long_date(last_on)}"
        else:
            since = "never reviewed"
        return {"text": f"Awaiting a review ({since})", "attention": True, "awaiting": True}
    if last_on and rules.is_reviewed(last_on, today, within_days):
        return {"text": f"Reviewed {long_date(last_on)}", "attention": False, "awaiting": False}
    words = f"Last reviewed {long_date(last_on)}" if last_on else "Not reviewed"
    return {"text": words, "attention": False, "awaiting": False}


def long_date(day: date | str | None) -> str:
    """27 March 2026 (the GOV.UK date style)."""
    if day is None:
        return ""
    if isinstance(day, str):
        day = parse_date(day[:10])
    return f"{day.day} {day:%B %Y}"


def short_date(day: date | str | None) -> str:
    """27 Mar 2026: a date where a table must stay narrow (GOV.UK allows the short month)."""
    if day is None:
        return ""
    if isinstance(day, str):
        day = parse_date(day[:10])
    return f"{day.day} {day:%b %Y}"


def date_and_time(moment: str | None, timezone: str, *, seconds: bool = False) -> str:
    """A stored instant in words, in the service's time zone: "2 March 2026 at 9:30am" (the
    GOV.UK style), "2 March 2026 at 9:30:05am" with ``seconds`` (the audit log, where the
    order of events within a minute matters); empty for None."""
    if not moment:
        return ""
    local = datetime.fromisoformat(moment)
    if local.tzinfo is not None:
        local = local.astimezone(ZoneInfo(timezone))
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    if seconds:
        return f"{long_date(local.date())} at {hour}:{local.minute:02d}:{local.second:02d}{suffix}"
    clock = f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"
    if local.minute == 0 and local.hour in (0, 12):
        clock = "midday" if local.hour == 12 else "midnight"
    return f"{long_date(local.date())} at {clock}"


# The audit log's details in words: what each key of a ``key=value`` detail (or of a JSON
# one) means, and how its value reads.
AUDIT_KEY_WORDS = {
    "indicator": "indicator",
    "observed_on": "observed",
    "source": "from",
    "staff": "member of staff",
    "worker": "worker",
    "from_worker": "from worker",
    "to_worker": "to worker",
    "topic": "enquiry",
    "asked_on": "asked",
    "outcome": "outcome",
    "points": "points",
    "expires_on": "expires",
    "replaces": "replaces adjustment",
    "visited_on": "visited",
    "seen": "child seen",
    "form": "form opened",
    "matches": "cases found",
    "unmatched": "queued item",
    "partner": "partner",
    "role": "role",
    "decision": "decision",
    "actions": "actions agreed",
    "action": "action",
    "cases": "cases",
    "kind": "kind",
    "due_on": "due",
}


def audit_detail_words(detail: str | None, settings: Mapping[str, Any]) -> str:
    """An audit row's detail as a person reads it: ``indicator=domestic_abuse
    observed_on=2026-03-01`` becomes "indicator: Domestic abuse …; observed: 1 March 2026",
    a JSON detail (an import's, a partner's request) its keys and values in words. Anything
    else is shown as written."""
    detail = (detail or "").strip()
    if not detail:
        return ""
    if detail.startswith("{"):
        try:
            data = json.loads(detail)
        except ValueError:
            return detail
        if isinstance(data, dict):
            return _words_of(data, settings)
        return detail
    pairs = [part.partition("=") for part in detail.split()]
    if all(sep and key for key, sep, _ in pairs):
        return "; ".join(
            f"{_key_words(key)}: {_value_words(key, value, settings)}" for key, _, value in pairs
        )
    return detail


def _words_of(data: Mapping[str, Any], settings: Mapping[str, Any], depth: int = 0) -> str:
    parts = []
    for key, value in data.items():
        name = _key_words(str(key))
        if isinstance(value, Mapping):
            words = _words_of(value, settings, depth + 1) if depth < 2 else "…"
            parts.append(f"{name}: ({words})" if words else f"{name}: none")
        elif isinstance(value, list):
            shown = ", ".join(_value_words(key, str(v), settings) for v in value[:10])
            parts.append(f"{name}: {shown or 'none'}{', …' if len(value) > 10 else ''}")
        elif isinstance(value, bool):
            parts.append(f"{name}: {'yes' if value else 'no'}")
        else:
            parts.append(f"{name}: {_value_words(key, str(value), settings)}")
    return "; ".join(parts)


def _key_words(key: str) -> str:
    return AUDIT_KEY_WORDS.get(key, key.replace("_", " "))


def _value_words(key: str, value: str, settings: Mapping[str, Any]) -> str:
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return long_date(value)
        except ValueError:
            return value
    if key == "indicator":
        spec = settings["scoring"]["indicators"].get(value)
        return spec["label"] if spec else value.replace("_", " ")
    if key == "source":
        return source_words(value)
    return value.replace("_", " ") if re.fullmatch(r"[a-z]+(_[a-z]+)+", value) else value


@functools.lru_cache(maxsize=8)
def sparkline_days(today: date) -> tuple[str, ...]:
    """The 30 days a sparkline covers, oldest first, as ISO dates (the same for every row)."""
    first = today - timedelta(days=SPARKLINE_DAYS - 1)
    return tuple((first + timedelta(days=n)).isoformat() for n in range(SPARKLINE_DAYS))


def sparkline(
    history: Iterable[tuple[str, float]], today: date, *, width: int = 120, height: int = 28
) -> dict[str, Any]:
    """A 30-day score line as SVG polyline points, plus its text alternative.

    ``history`` is (day, score) pairs; days without a score carry the last score forward
    (a case is rescored only when something changes)."""
    by_day = dict(history)
    if not by_day:
        return {"points": "", "text": "No score history yet"}
    series: list[float | None] = []
    last: float | None = None
    for day in sparkline_days(today):
        last = by_day.get(day, last)
        series.append(last)
    known = [s for s in series if s is not None]
    if not known:
        return {"points": "", "text": "No score history yet"}
    top = max(max(known), 1.0)
    step = (width - 2) / (SPARKLINE_DAYS - 1)
    points = " ".join(
        f"{1 + i * step:.1f},{height - 1 - (s / top) * (height - 2):.1f}"
        for i, s in enumerate(series)
        if s is not None
    )
    text = (
        f"Score over the last {SPARKLINE_DAYS} days: from {known[0]:.1f} to {known[-1]:.1f}, "
        f"highest {max(known):.1f}"
    )
    return {"points": points, "text": text, "width": width, "height": height}


def case_row(
    row: Mapping[str, Any],
    today: date,
    *,
    contributions: Iterable[Mapping[str, Any]] = (),
    history: Iterable[tuple[str, float]] = (),
    reviewed_within_days: int = 7,
) -> dict[str, Any]:
    """Everything a caseload or team table shows for one case (never the date of birth)."""
    due = next_visit_due(row["last_visit_on"], row["opened_on"], row["visit_every_days"])
    return {
        "case_ref": row["case_ref"],
        "initials": row["initials"],
        "age": age_text(row["date_of_birth"], today, row["birth_status"]),
        "score": row["score"],
        "rank": row["rank"],
        "band": band(row["band"]),
        "trend": trend(row["score"], row["score_week_ago"]),
        "sparkline": sparkline(history, today),
        "reasons": scoring.reasons(contributions),
        "last_visit": long_date(row["last_visit_on"]) if row["last_visit_on"] else "None recorded",
        "next_visit_due": long_date(due),
        "next_visit_due_short": short_date(due),
        "last_visit_short": short_date(row["last_visit_on"]) if row["last_visit_on"] else "none",
        "next_visit_due_on": due,
        "visit_overdue": "visit_overdue" in rules.gap_codes(row.get("practice_gaps")),
        "practice_gaps": [scoring.GAP_LABELS[c] for c in rules.gap_codes(row.get("practice_gaps"))],
        "reviewed": reviewed(row["last_reviewed_at"], today, reviewed_within_days),
        "review": review_state(row, today, reviewed_within_days),
        "worker_name": row.get("worker_name"),
    }


_NUMBER_WORDS = {1: "a", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                 8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}  # fmt: skip


def half_life_words(days: int) -> str:
    """How an indicator fades, as a social worker would say it: "counts for less as it gets
    older: half after a year"; "does not fade" for a half-life of 0."""
    if not days:
        return "does not fade: it counts in full however long ago it was"
    if days % 365 == 0:
        years = days // 365
        span = "a year" if years == 1 else f"{_NUMBER_WORDS.get(years, years)} years"
    elif days % 7 == 0 and days < 60:
        weeks = days // 7
        span = f"{_NUMBER_WORDS.get(weeks, weeks)} week{'s' if weeks > 1 else ''}"
    else:
        months = round(days / 30.4)
        exact = abs(months * 30.4 - days) < 3
        count = "a" if months == 1 else _NUMBER_WORDS.get(months, str(months))
        span = f"{'' if exact else 'about '}{count} month{'s' if months > 1 else ''}"
    return f"counts for less as it gets older: half after {span}"


def contribution_words(contribution: Mapping[str, Any], scoring_settings: Mapping[str, Any]) -> str:
    """One line of the score breakdown in plain words (no codes, no decay factors)."""
    kind = contribution.get("kind")
    weight = contribution.get("weight")
    if kind == "indicator":
        spec = scoring_settings["indicators"].get(contribution.get("code"), {})
        fading = half_life_words(int(spec.get("half_life_days", 0) or 0))
        return f"{weight:g} points when new; {fading}."
    if kind == "age":
        return "A young child is more vulnerable: the indicator points above count for more."
    if kind == "combination":
        return "These indicators together count for more than each alone."
    if kind == "accumulation":
        return (
            "Several concerns at once around a very young child, reported by more than one "
            "agency, count for more."
        )
    if kind == "practice_gap":
        return "Something that should have been done has not been recorded yet."
    if kind == rules.PATTERN_KIND:
        return (
            "The review of six babies and toddlers seriously injured found these together in "
            "their families: a child this young with them is a hotspot whatever its other "
            "points, so the score is raised to the red line (nothing is added when it is there "
            "already)."
        )
    if kind == "adjustment":
        return "A practitioner's judgement, with the reason shown under Adjustments."
    return ""


# What would help next, for each practice gap the model found (keyed by the gap's code in
# hotspots.model.scoring.GAP_LABELS): the words, the case action that closes it, and what that
# page should have chosen already (the enquiry's topic).
NEXT_STEPS = {
    "no_domestic_abuse_enquiry": (
        "Ask about domestic abuse",
        "cases.record_enquiry",
        {"topic": "domestic_abuse"},
    ),
    "parental_childhood_not_explored": (
        "Ask about the parents' own childhood",
        "cases.record_enquiry",
        {"topic": "parental_childhood"},
    ),
    "visit_overdue": ("Visit the child: a visit is overdue", "cases.record_visit", {}),
    "unallocated": ("Allocate a worker", "team.allocate", {}),  # managers and admins
}


def next_steps(gap_codes: Iterable[str]) -> list[dict[str, Any]]:
    """What would help next: the words, the page and its arguments for each of a case's
    practice gaps (``hotspots.model.rules.gap_codes`` of its stored mask: the rules decide what a
    gap is)."""
    return [
        {
            "code": code,
            "text": NEXT_STEPS[code][0],
            "endpoint": NEXT_STEPS[code][1],
            "args": NEXT_STEPS[code][2],
        }
        for code in gap_codes
        if code in NEXT_STEPS
    ]


def sentence(text: str | None) -> str:
    """Free text as a sentence that ends with one full stop (a reason typed with its own
    stop must not end ".." when the page adds one)."""
    text = (text or "").strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
