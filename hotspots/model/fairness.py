"""The fairness report: do hotspots fall unevenly on a group of children?

For each group of sex, age band, ethnicity (the DfE's major groups), disability and team: the
open cases, the hotspot rate, the mean score, and the **ratio** of the group's hotspot rate to
everyone else's. A ratio below ``[fairness] ratio_low`` (0.8) or above ``ratio_high`` (1.25) is
**flagged**, with what drives the difference: the recorded indicators, practice gaps and
matches with the review's pattern that are more (or less) common in the group's cases than in
everyone else's. A group of fewer than ``suppress_below`` (10) open cases shows "fewer than 10"
and nothing else, as the DfE suppresses small numbers in its own tables; a ratio that rests on
fewer than 10 of the group's hotspots says so.

The score never reads a child's characteristics (``hotspots.model.characteristics``): a difference
here comes from what is recorded about the group's children, which is what the drivers show.

Pure: ``build_report`` takes the counts ``hotspots.storage.fairness.group_figures`` makes
(set-based, over every open case) and the settings, and returns plain data that the command
line, the page and the CSV all show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hotspots.model import characteristics, scoring

# The report's dimensions, in the order shown: (code, heading).
DIMENSIONS = (
    ("sex", "Sex"),
    ("age", "Age band"),
    ("ethnicity", "Ethnicity (the DfE's major groups)"),
    ("disability", "Disability"),
    ("team", "Team"),
)
NOT_RECORDED = characteristics.NOT_RECORDED
# The hotspot reviews the disagreement figures count: the year up to the report's day (the
# admin's disagreements page counts the same year).
DISAGREEMENT_DAYS = 365
# A driver is listed only when its share in the group differs from everyone else's by at least
# this much (one percentage point): smaller differences explain nothing.
MIN_DRIVER_DIFFERENCE = 0.01


def group_words(dimension: str, group: str | None) -> str:
    """A group's name as people read it."""
    if dimension == "sex":
        return characteristics.SEX.get(group or "", NOT_RECORDED)
    if dimension == "age":
        return next((words for code, words, _ in characteristics.AGE_BANDS if code == group), "")
    if dimension == "disability":
        return characteristics.DISABILITY.get(group or "", NOT_RECORDED)
    return group or NOT_RECORDED


def _group_order(dimension: str) -> list[str | None]:
    """The order a dimension's groups are listed in (a team's: by name)."""
    if dimension == "sex":
        return [*characteristics.SEX, None]
    if dimension == "age":
        return [code for code, _, _ in characteristics.AGE_BANDS]
    if dimension == "ethnicity":
        return [*characteristics.MAJOR_GROUPS, None]
    if dimension == "disability":
        return [*characteristics.DISABILITY, None]
    return []


def driver_labels(scoring_settings: Mapping[str, Any]) -> dict[str, str]:
    """Every driver's words: the catalogue's indicators, the practice gaps, the review's
    pattern."""
    labels = {code: spec["label"] for code, spec in scoring_settings["indicators"].items()}
    labels |= scoring.GAP_LABELS
    labels["review_pattern"] = scoring.PATTERN_LABEL
    return labels


def build_report(
    figures: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    day: str,
    source: str,
) -> dict[str, Any]:
    """The report from the counts of ``hotspots.storage.fairness.group_figures``: {"day",
    "source", "totals", "dimensions": [{"code", "heading", "groups": [...]}], "flagged",
    "bounds", "suppress_below", "disagreement", "notes"}. Each group: {"dimension", "group",
    "words", "suppressed", "cases", "hotspot_rate", "mean_score", "ratio", "compared" (words
    for a ratio that cannot be worked out), "flag" ("higher", "lower" or None),
    "few_hotspots", "drivers": [{"code", "label", "group_share", "others_share"}],
    "by_design"}."""
    fair = settings["fairness"]
    below = int(fair["suppress_below"])
    total = figures["totals"]
    labels = driver_labels(settings["scoring"])
    everyone = figures["everyone"]
    stored = "review_pattern" in everyone
    dimensions = []
    flagged = 0
    for code, heading in DIMENSIONS:
        rows = {row["grp"]: row for row in figures["groups"][code]}
        order = _group_order(code)
        keys = [g for g in order if g in rows] + sorted(
            (g for g in rows if g not in order), key=lambda g: str(g).casefold()
        )
        groups = []
        for key in keys:
            row = rows[key]
            group = _group(code, key, row, total, row["flags"], everyone, labels, fair, below)
            flagged += group["flag"] is not None
            groups.append(group)
        dimensions.append({"code": code, "heading": heading, "groups": groups})
    return {
        "day": day,
        "source": source,
        "totals": {
            "cases": total["cases"],
            "hotspots": total["hotspots"],
            "hotspot_rate": _rate(total["hotspots"], total["cases"]),
            "mean_score": total["score_sum"] / total["cases"] if total["cases"] else None,
        },
        "dimensions": dimensions,
        "flagged": flagged,
        "bounds": (float(fair["ratio_low"]), float(fair["ratio_high"])),
        "suppress_below": below,
        "disagreement": disagreement(figures.get("disagreement"), below),
        "notes": _notes(settings, stored),
    }


def disagreement(counts: Mapping[str, Any] | None, below: int) -> dict[str, Any] | None:
    """The share of hotspot reviews where the worker disagreed with the score, overall and by
    each part of the score that counted in them (indicators first, then the rest), from
    ``hotspots.storage.followup.disagreement_by_contribution``'s counts; fewer than ``below``
    reviews shown as such. None when the service records no reviews' decisions."""
    if counts is None:
        return None
    reviews = counts["reviews"] or 0
    parts = []
    for row in counts["by_contribution"]:
        few = row["reviews"] < below
        parts.append(
            {
                "code": row["code"],
                "label": row["label"],
                "kind": row["kind"],
                "suppressed": few,
                "reviews": None if few else row["reviews"],
                "disagreed_share": None if few else row["disagreed_with_score"] / row["reviews"],
                "named_share": None if few else row["disagreed_with_this"] / row["reviews"],
            }
        )
    parts.sort(key=lambda part: (part["kind"] != "indicator", part["suppressed"]))
    few = reviews < below
    return {
        "days": DISAGREEMENT_DAYS,
        "suppressed": few,
        "reviews": None if few else reviews,
        "disagreed_share": None if few or not reviews else counts["disagreed"] / reviews,
        "parts": parts,
    }


def _group(
    dimension: str,
    key: Any,
    row: Mapping[str, Any],
    total: Mapping[str, Any],
    counts: Mapping[str, int],
    everyone: Mapping[str, int],
    labels: Mapping[str, str],
    fair: Mapping[str, Any],
    below: int,
) -> dict[str, Any]:
    cases, hotspots = row["cases"], row["hotspots"]
    others, others_hotspots = total["cases"] - cases, total["hotspots"] - hotspots
    group: dict[str, Any] = {
        "dimension": dimension,
        "group": key,
        "words": group_words(dimension, key),
        "suppressed": cases < below,
        "cases": cases,
        "hotspot_rate": None,
        "mean_score": None,
        "ratio": None,
        "compared": "",
        "flag": None,
        "few_hotspots": False,
        "drivers": [],
        "by_design": "",
    }
    if group["suppressed"]:
        group["cases"] = None
        return group
    rate = _rate(hotspots, cases)
    group["hotspot_rate"] = rate
    group["mean_score"] = row["score_sum"] / cases
    group["few_hotspots"] = hotspots < below
    if others < below:
        group["compared"] = f"everyone else is fewer than {below} open cases"
        return group
    others_rate = _rate(others_hotspots, others)
    if not others_hotspots:
        if hotspots:
            group["compared"] = "no hotspots among everyone else"
            group["flag"] = "higher"
        else:
            group["compared"] = "no hotspots in the group or among everyone else"
            return group
    else:
        group["ratio"] = rate / others_rate
        if group["ratio"] < float(fair["ratio_low"]):
            group["flag"] = "lower"
        elif group["ratio"] > float(fair["ratio_high"]):
            group["flag"] = "higher"
    if group["flag"]:
        group["drivers"] = _drivers(
            group["flag"], cases, others, counts, everyone, labels, int(fair["drivers"])
        )
        if dimension == "age":
            group["by_design"] = AGE_BY_DESIGN
    return group


AGE_BY_DESIGN = (
    "by design, the model counts a young child's indicators for more and applies the review's "
    "pattern only to young children (see the notes)"
)


def _drivers(
    flag: str,
    cases: int,
    others: int,
    counts: Mapping[str, int],
    everyone: Mapping[str, int],
    labels: Mapping[str, str],
    limit: int,
) -> list[dict[str, Any]]:
    """What is more common in the group's cases than in everyone else's (less common, for a
    group with fewer hotspots), largest difference first."""
    found = []
    for code, in_all in everyone.items():
        in_group = counts.get(code, 0)
        group_share = in_group / cases
        others_share = (in_all - in_group) / others
        difference = group_share - others_share
        if abs(difference) < MIN_DRIVER_DIFFERENCE:
            continue
        if (difference > 0) if flag == "higher" else (difference < 0):
            found.append((abs(difference), code, group_share, others_share))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [
        {
            "code": code,
            "label": labels.get(code, code),
            "group_share": group_share,
            "others_share": others_share,
        }
        for _, code, group_share, others_share in found[:limit]
    ]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _notes(settings: Mapping[str, Any], stored: bool) -> list[str]:
    """What a reader must know to read the figures, from the live settings."""
    model = settings["scoring"]
    pattern = model["review_pattern"]
    below = settings["fairness"]["suppress_below"]
    notes = [
        f"A hotspot is a case in the red band (a score of {model['red_threshold']:g} or more). "
        "The score never reads a child's sex, ethnicity or disability: a difference comes "
        "from what is recorded about the group's children, which the drivers show.",
        f"Age is part of the model by design: a child under 1 counts its indicators "
        f"×{model['age_multiplier_under_1']:g}, a child aged 1 to 3 "
        f"×{model['age_multiplier_1_to_3']:g}, and the review's pattern applies only to "
        f"children aged {pattern['max_age_years']} or under, so young children's hotspot rates "
        "are expected to be higher.",
        f"Groups of fewer than {below} open cases are shown as 'fewer than {below}' and "
        f"nothing more; a ratio resting on fewer than {below} of a group's hotspots moves a "
        "lot with one child.",
    ]
    if not stored:
        notes.append(
            "Practice gaps and the review's pattern are stored with the latest scores only: a "
            "report for an earlier day explains a difference by the recorded indicators alone."
        )
    return notes


def percent(share: float | None) -> str:
    """A share as people read it: ``12.5%``."""
    if share is None:
        return ""
    return f"{100 * share:.1f}%"


def group_lines(report: Mapping[str, Any]) -> list[str]:
    """The report as text for a terminal."""
    low, high = report["bounds"]
    totals = report["totals"]
    below = report["suppress_below"]
    lines = [
        f"Fairness report, {report['source']}",
        f"{totals['cases']:,} open cases, {percent(totals['hotspot_rate'])} hotspots, "
        f"mean score {_number(totals['mean_score'])}. A ratio is the group's hotspot rate over "
        f"everyone else's; outside {low:g} to {high:g} it is flagged (!).",
    ]
    for dimension in report["dimensions"]:
        lines += ["", dimension["heading"]]
        lines.append(f"  {'group':<32} {'open cases':>12} {'hotspots':>9} {'mean':>6}  ratio")
        for group in dimension["groups"]:
            lines.append("  " + _group_line(group, below))
            if group["by_design"]:
                lines.append(f"      Age: {group['by_design']}")
            for driver in group["drivers"]:
                lines.append(
                    f"      {driver['label']}: {percent(driver['group_share'])} of the group's "
                    f"cases, {percent(driver['others_share'])} of everyone else's"
                )
    lines += disagreement_lines(report["disagreement"], below)
    lines.append("")
    lines += [f"Note: {note}" for note in report["notes"]]
    return lines


def disagreement_lines(found: Mapping[str, Any] | None, below: int) -> list[str]:
    if found is None:
        return []
    lines = ["", f"Hotspot reviews of the last {found['days']} days: where the worker disagreed"]
    if found["suppressed"]:
        return [*lines, f"  fewer than {below} hotspot reviews recorded a decision"]
    lines.append(
        f"  {found['reviews']:,} hotspot reviews, {percent(found['disagreed_share'])} disagreed "
        "with the score"
    )
    lines.append(f"  {'part of the score':<48} {'reviews':>8} {'disagreed':>10} {'named it':>9}")
    for part in found["parts"]:
        name = part["label"][:48]
        if part["suppressed"]:
            lines.append(f"  {name:<48} {'fewer than ' + str(below):>8}")
            continue
        lines.append(
            f"  {name:<48} {part['reviews']:>8,} {percent(part['disagreed_share']):>10} "
            f"{percent(part['named_share']):>9}"
        )
    return lines


def _group_line(group: Mapping[str, Any], below: int) -> str:
    name = group["words"][:32]
    if group["suppressed"]:
        return f"{name:<32} {'fewer than ' + str(below):>12}"
    ratio = f"{group['ratio']:.2f}" if group["ratio"] is not None else group["compared"]
    mark = " !" if group["flag"] else ""
    few = f" (fewer than {below} hotspots)" if group["few_hotspots"] and group["flag"] else ""
    return (
        f"{name:<32} {group['cases']:>12,} {percent(group['hotspot_rate']):>9} "
        f"{_number(group['mean_score']):>6}  {ratio}{mark}{few}"
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


CSV_COLUMNS = (
    "dimension",
    "group",
    "open_cases",
    "hotspot_rate_percent",
    "mean_score",
    "ratio_to_everyone_else",
    "flagged",
    "fewer_than_10_hotspots",
    "drivers",
)


def csv_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    """The report as CSV rows (after ``CSV_COLUMNS``), a suppressed group's figures written
    "fewer than 10"."""
    below = report["suppress_below"]
    rows = []
    for dimension in report["dimensions"]:
        for group in dimension["groups"]:
            if group["suppressed"]:
                hidden = f"fewer than {below}"
                rows.append([dimension["heading"], group["words"], hidden, "", "", "", "", "", ""])
                continue
            rows.append(
                [
                    dimension["heading"],
                    group["words"],
                    group["cases"],
                    f"{100 * group['hotspot_rate']:.1f}",
                    f"{group['mean_score']:.1f}",
                    f"{group['ratio']:.2f}" if group["ratio"] is not None else group["compared"],
                    group["flag"] or "",
                    "yes" if group["few_hotspots"] else "",
                    "; ".join(
                        ([f"Age: {group['by_design']}"] if group["by_design"] else [])
                        + [
                            f"{d['label']} ({percent(d['group_share'])} against "
                            f"{percent(d['others_share'])})"
                            for d in group["drivers"]
                        ]
                    ),
                ]
            )
    return rows


# The CSV's second table: the hotspot reviews' disagreement by part of the score.
DISAGREEMENT_CSV_COLUMNS = (
    "part_of_the_score",
    "kind",
    "hotspot_reviews",
    "disagreed_with_the_score_percent",
    "named_this_part_percent",
)


def csv_table(report: dict[str, Any]) -> list[list[Any]]:
    """Every row of the report's CSV, headers included: the groups, then (after a blank row)
    where workers disagreed with hotspot scores, when there are figures for it."""
    rows = [list(CSV_COLUMNS), *(list(row) for row in csv_rows(report))]
    if report["disagreement"] is not None:
        rows += [[], list(DISAGREEMENT_CSV_COLUMNS)]
        rows += [list(row) for row in disagreement_csv_rows(report)]
    return rows


def disagreement_csv_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    """The disagreement table as CSV rows (after DISAGREEMENT_CSV_COLUMNS), with a first row
    for every hotspot review; fewer than 10 written "fewer than 10"."""
    found = report["disagreement"]
    if found is None:
        return []
    hidden = f"fewer than {report['suppress_below']}"
    rows = [
        [
            "All hotspot reviews",
            "",
            hidden if found["suppressed"] else found["reviews"],
            "" if found["disagreed_share"] is None else f"{100 * found['disagreed_share']:.1f}",
            "",
        ]
    ]
    for part in found["parts"]:
        if part["suppressed"]:
            rows.append([part["label"], part["kind"], hidden, "", ""])
            continue
        rows.append(
            [
                part["label"],
                part["kind"],
                part["reviews"],
                f"{100 * part['disagreed_share']:.1f}",
                f"{100 * part['named_share']:.1f}",
            ]
        )
    return rows


def flagged_groups(report: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """Every flagged group, in the report's order."""
    return [g for d in report["dimensions"] for g in d["groups"] if g["flag"]]
