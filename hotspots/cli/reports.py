"""``hotspots report``: the reports a service's readers ask for, on the server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots.cli.scoring import _as_of_option, _database_errors
from hotspots.model import fairness
from hotspots.model.working_days import CalendarEnds
from hotspots.services import audit, partnership
from hotspots.storage.fairness import NoFigures, fairness_report
from hotspots.web.db import get_db


@click.group("report")
def report_group() -> None:
    """Reports: the safeguarding partnership's (``report partnership``) and the fairness report
    for the equality duty (``report fairness``)."""


@report_group.command("partnership")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="The day the report is for (its deadlines, months and weeks end on it); default today.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as one JSON object.")
@with_appcontext
def partnership_command(as_of: str | None, as_json: bool) -> None:
    """The safeguarding partnership's report (docs/partnership.md explains each figure).

    Serious incidents: when to notify the Panel and hold the rapid review (in working days),
    what is due or overdue, and for each child what the service showed in the look-back
    days before (the first day red, whether red the day before, reviews, the questions asked,
    the review's features recorded) beside the score in hindsight; the recall on the
    authority's own incidents; the review's table from live data; the practice the review
    found missing, by month and team; and the load on the workforce. Lists longer than
    [partnership] page_rows are cut short here; --json prints everything: an object with
    incidents (each with case_ref, occurred_on, known_on, notify_panel_by, rapid_review_by,
    first_red_on and more), recall, review_table, practice and workforce. The report is
    written to the audit log.

    Example:

        hotspots report partnership
        hotspots report partnership --as-of 2026-03-31 --json > partnership.json
    """
    settings = current_app.config["SETTINGS"]
    db = get_db()
    day, now = _as_of_option(as_of, settings)
    if day > now.date():
        raise click.BadParameter(f"{day.isoformat()} is in the future", param_hint="--as-of")
    with _database_errors():
        try:
            report = partnership.partnership_report(db, settings, as_of=day)
        except CalendarEnds as e:
            raise click.ClickException(str(e)) from None
        # Incidents name cases: the report is a view of them, audited as one listing.
        audit.record(
            db,
            at=now,
            action="cli_report_partnership",
            detail=f"as_of={day.isoformat()} incidents={len(report['incidents'])}",
        )
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for line in report_lines(report, settings["partnership"]["page_rows"]):
        click.echo(line)


def report_lines(report: Mapping[str, Any], rows: int) -> list[str]:
    """The report as text for a terminal, each list cut to ``rows`` lines."""
    lines = [f"The safeguarding partnership's report for {report['as_of']}", ""]
    lines += _incidents(report["incidents"], rows)
    lines += ["", f"Recall: {report['recall']['sentence']}", ""]
    lines += _review_table(report["review_table"])
    lines += [""] + _practice(report["practice"], rows)
    lines += [""] + _workforce(report["workforce"], rows)
    return lines


def _cut(items: Sequence[Any], rows: int) -> tuple[Sequence[Any], str | None]:
    if len(items) <= rows:
        return items, None
    return items[:rows], f"  and {len(items) - rows} more (--json for all)"


def _share(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _incidents(entries: Sequence[Mapping[str, Any]], rows: int) -> list[str]:
    if not entries:
        return ["Serious incidents: none recorded"]
    lines = [
        f"Serious incidents: {len(entries)} child{'' if len(entries) == 1 else 'ren'}",
        f"  {'incident':<8} {'case':<12} {'occurred':<10} {'aware':<10} "
        f"{'notify Panel by':<22} {'rapid review by':<22} {'first red':<10} day before",
    ]
    shown, more = _cut(entries, rows)
    for e in shown:
        notify = f"{e['notify_panel_by']} {e['notify_panel']}"
        review = f"{e['rapid_review_by']} {e['rapid_review']}"
        lines.append(
            f"  {e['incident']:<8} {e['case_ref']:<12} {e['occurred_on']:<10} "
            f"{e['known_on']:<10} {notify:<22} {review:<22} {e['first_red_on'] or '-':<10} "
            f"{'hotspot' if e['hotspot_day_before'] else '-'}"
        )
    return lines + ([more] if more else [])


def _review_table(table: Mapping[str, Any]) -> list[str]:
    lines = [
        f"The review's table: {table['open_cases']} open cases of children under "
        f"{table['children_under_years']}, with each of the review's features recorded",
    ]
    for f in table["features"]:
        review = f"  (the review: {f['review_found']})" if f["review_found"] else ""
        lines.append(f"  {f['label'][:58]:<58} {f['cases']:>7} {_share(f['share']):>5}{review}")
    lines.append(
        f"  {'Matches the review pattern (when last scored)':<58} {table['pattern']:>7} "
        f"{_share(table['pattern_share']):>5}"
    )
    return lines


def _practice(practice: Mapping[str, Any], rows: int) -> list[str]:
    days = practice["open_longer_than_days"]
    lines = [
        f"Practice: cases open longer than {days} days with the domestic-abuse question asked, "
        "and with the parents' own childhood explored",
        f"  {'month':<8} {'cases':>8} {'domestic abuse':>15} {'parents childhood':>18}",
    ]
    for m in practice["months"]:
        lines.append(
            f"  {m['month']:<8} {m['cases']:>8} {_share(m['domestic_abuse_share']):>15} "
            f"{_share(m['parental_childhood_share']):>18}"
        )
    if practice["months"]:
        latest = practice["months"][0]["month"]
        teams = sorted(
            (t for t in practice["teams"] if t["month"] == latest),
            key=lambda t: (t["domestic_abuse_share"] or 0, t["team"]),
        )
        shown, more = _cut(teams, rows)
        lines.append(f"  Teams in {latest}, lowest domestic-abuse share first:")
        for t in shown:
            lines.append(
                f"    {t['team'][:30]:<30} {t['cases']:>6} {_share(t['domestic_abuse_share']):>6} "
                f"{_share(t['parental_childhood_share']):>6}"
            )
        if more:
            lines.append("  " + more)
    return lines


def _workforce(workforce: Mapping[str, Any], rows: int) -> list[str]:
    lines = [
        f"Workforce: caseload limit {workforce['caseload_limit']} open cases; a week counts when "
        f"a worker held more than {workforce['hotspot_budget']} hotspots on a day of it "
        f"({workforce['weeks_counted']} of the last {workforce['weeks']} weeks in the score "
        f"history, whose first hotspot is on {workforce['hotspots_held_from'] or 'no day yet'})",
        f"  {'team':<30} {'workers':>7} {'open':>7} {'hotspots':>8} {'over limit':>10} "
        f"{'worker-weeks over':>17}",
    ]
    shown, more = _cut(workforce["teams"], rows)
    for t in shown:
        lines.append(
            f"  {t['team'][:30]:<30} {t['workers']:>7} {t['open_cases']:>7} {t['hotspots']:>8} "
            f"{t['workers_over_limit']:>10} {t['worker_weeks_over_budget']:>17}"
        )
    if more:
        lines.append(more)
    lines.append(
        f"  {'worker':<30} {'team':<20} {'open':>5} {'hotspots':>8} {'weeks over':>10} "
        f"{'in a row':>8}"
    )
    shown, more = _cut(workforce["workers"], rows)
    for w in shown:
        lines.append(
            f"  {w['name'][:30]:<30} {w['team'][:20]:<20} {w['open_cases']:>5} "
            f"{w['hotspots']:>8} {w['weeks_over_budget']:>10} {w['weeks_in_a_row']:>8}"
        )
    if more:
        lines.append(more)
    return lines


@report_group.command("fairness")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Report on what the service showed on this earlier day (its score history); "
    "default: the latest scores.",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print the report as CSV, one row a group.")
@with_appcontext
def fairness_command(as_of: str | None, as_csv: bool) -> None:
    """Do hotspots fall unevenly on a group of children? (docs/fairness.md)

    For each group of sex, age band, ethnicity (the DfE's major groups), disability and
    team: open cases, hotspot rate, mean score and the ratio of the group's hotspot rate to
    everyone else's. A ratio outside [fairness] ratio_low to ratio_high (0.8 to 1.25) is
    flagged (!) with what drives it: the indicators, practice gaps and review-pattern matches
    more (or less) common in the group's cases. A group of fewer than 10 open cases shows
    "fewer than 10" and nothing more. The score never reads these characteristics. Then the
    share of the last year's hotspot reviews where the worker disagreed with the score, by
    each part of the score (indicators first). With --csv, the columns dimension, group,
    open_cases, hotspot_rate_percent, mean_score, ratio_to_everyone_else, flagged,
    fewer_than_10_hotspots and drivers; after a blank row, the disagreement table
    (part_of_the_score, kind, hotspot_reviews, disagreed_with_the_score_percent,
    named_this_part_percent). The report is written to the audit log.

    Example:

    \b
        hotspots report fairness
        hotspots report fairness --as-of 2026-11-01 --csv > fairness.csv
    """
    settings = current_app.config["SETTINGS"]
    db = get_db()
    day, now = _as_of_option(as_of, settings)
    if as_of is None:
        day = None  # the latest scores, whatever day they were made
    if day is not None and day > now.date():
        raise click.BadParameter(f"{day.isoformat()} is in the future", param_hint="--as-of")
    with _database_errors():
        try:
            report = fairness_report(db, settings, as_of=day)
        except NoFigures as e:
            raise click.ClickException(str(e)) from None
        # The report counts groups of children by their characteristics: audited as a view.
        audit.record(
            db,
            at=now,
            action="cli_report_fairness",
            detail=f"day={report['day']} cases={report['totals']['cases']} "
            f"flagged={report['flagged']}{' csv' if as_csv else ''}",
        )
    if as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in fairness.csv_table(report):
            writer.writerow([audit.formula_safe(v) for v in row])
        click.echo(buffer.getvalue(), nl=False)
        return
    for line in fairness.group_lines(report):
        click.echo(line)


commands = [report_group]
