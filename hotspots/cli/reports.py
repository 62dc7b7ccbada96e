"""``hotspots report``: reports for the council's readers, on the server."""

from __future__ import annotations

import csv
import io

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots import audit, fairness
from hotspots.cli.scoring import _as_of_option, _database_errors
from hotspots.db import get_db
from hotspots.storage.fairness import NoFigures, fairness_report


@click.group("report")
def report_group() -> None:
    """Reports: the fairness report for the equality duty (``report fairness``)."""


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
        writer.writerow(fairness.CSV_COLUMNS)
        for row in fairness.csv_rows(report):
            writer.writerow([audit.formula_safe(v) for v in row])
        if report["disagreement"] is not None:
            writer.writerow([])
            writer.writerow(fairness.DISAGREEMENT_CSV_COLUMNS)
            for row in fairness.disagreement_csv_rows(report):
                writer.writerow([audit.formula_safe(v) for v in row])
        click.echo(buffer.getvalue(), nl=False)
        return
    for line in fairness.group_lines(report):
        click.echo(line)


commands = [report_group]
