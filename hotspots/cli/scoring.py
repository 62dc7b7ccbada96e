"""Scoring commands: ``hotspots score``, ``hotspots calibrate``, ``hotspots caseload`` and
``hotspots scheduler``."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sqlite3
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlite_utils import Database

from hotspots.base import logs
from hotspots.base.dates import parse_date, service_now
from hotspots.model import calibration, scoring
from hotspots.services import audit, rescoring
from hotspots.web.db import get_db


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    """A database that is missing or behind the code is a message, not a traceback."""
    try:
        yield
    except sqlite3.OperationalError as e:
        if "no such table" in str(e) or "no such column" in str(e):
            raise click.ClickException(
                f"the database is not set up or not up to date ({e}): run `hotspots init-db`"
            ) from None
        raise


def _as_of_option(value: str | None, settings) -> tuple[date, datetime]:
    now = service_now(current_app.config)
    if value is None:
        return now.date(), now
    try:
        return parse_date(value), now
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--as-of") from None


@click.command("score")
@click.option(
    "--as-of", "as_of", metavar="YYYY-MM-DD", help="Score as on this day (default: today)."
)
@with_appcontext
def score_command(as_of: str | None) -> None:
    """Rescore every open case in the authority, in one transaction.

    Today (the default): writes each open case's score, band, worker and model version, and
    the day's score history row (ranks in each worker's caseload follow from the scores when
    read); closed cases leave the ranking.
    A past day (--as-of): writes only that day's score history rows, as the model scores the
    records on that day; today's ranking is left as it is. A future day is refused.

    Example:

        hotspots score --as-of 2026-11-25
    """
    settings = current_app.config["SETTINGS"]
    day, now = _as_of_option(as_of, settings)
    if day > now.date():
        raise click.BadParameter(
            f"{day.isoformat()} is in the future; score today or a past day", param_hint="--as-of"
        )
    past = day < now.date()
    db = get_db()
    started = time.perf_counter()
    with _database_errors():
        count = rescoring.rescore_all(db, settings, as_of=day, now=now, history_only=past)
    seconds = time.perf_counter() - started
    if past:
        bands = rescoring.history_band_counts(db, day)
        click.echo(
            f"Wrote the score history of {count} open cases for {day.isoformat()} in "
            f"{seconds:.1f} s ({bands['red']} red, {bands['amber']} amber, "
            f"{bands['green']} green); today's ranking is unchanged"
        )
        return
    bands = rescoring.band_counts(db)
    click.echo(
        f"Scored {count} open cases as of {day.isoformat()} in {seconds:.1f} s: "
        f"{bands['red']} red, {bands['amber']} amber, {bands['green']} green"
    )


@click.command("caseload")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per case.")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Measure trends against 7 days before this day; default the day of the latest scores.",
)
@with_appcontext
def caseload_command(email: str, as_json: bool, as_of: str | None) -> None:
    """Show a worker's ranked caseload from the latest scores.

    Each case shows its rank, score, band, trend (change against 7 days before the score)
    and its top reasons. With --json, a JSON array of objects with rank, case_ref,
    initials, score, band, trend, reasons, contributions (code, label, kind, weight, decay,
    points, observation_ids, detail), as_of and model_version. The listing is written to
    the audit log.

    Example:

        hotspots caseload worker@example.gov.uk --json
    """
    settings = current_app.config["SETTINGS"]
    db = get_db()
    day = _as_of_option(as_of, settings)[0] if as_of else None
    with _database_errors():
        staff = rescoring.find_staff(db, email)
        if staff is None:
            raise click.ClickException(f"no staff member has the email {email}")
        caseload = rescoring.read_caseload(db, staff["id"], settings, day)
        # Cases shown on a terminal are a view of cases too: one audit row for the listing.
        audit.record(
            db,
            at=service_now(current_app.config),
            action="cli_caseload",
            case_ref=None,
            detail=f"worker={staff['email']} cases={len(caseload)}",
        )
    if as_json:
        click.echo(json.dumps(caseload, indent=2, ensure_ascii=False))
        return
    if not caseload:
        click.echo(f"{staff['email']} has no scored open cases (run `hotspots score`?)")
        return
    click.echo(f"Caseload of {staff['email']}: {len(caseload)} open cases")
    click.echo(f"{'rank':>4}  {'case':<12} {'score':>6}  {'band':<5} {'trend':>6}  reasons")
    for case in caseload:
        trend = "" if case["trend"] is None else f"{case['trend']:+.1f}"
        click.echo(
            f"{case['rank']:>4}  {case['case_ref']:<12} {case['score']:>6.1f}  "
            f"{case['band']:<5} {trend:>6}  {'; '.join(case['reasons'])}"
        )


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs in this process until stopped (Ctrl-C).

    The nightly full rescore, the incremental sweep and the daily digests. Only one
    scheduler runs per database: a second one started by mistake stops with an error.

    Example:

        hotspots scheduler
    """
    from hotspots.jobs.scheduler import SchedulerLocked, build_scheduler, scheduler_lock

    # Job runs, skips and APScheduler's own notices (misfires) go to stderr.
    logs.configure(logging.INFO)
    app = current_app._get_current_object()
    try:
        with scheduler_lock(app.config["SETTINGS"]):
            scheduler = build_scheduler(app)
            click.echo(
                "Scheduler running: "
                + ", ".join(f"{job.id} ({job.trigger})" for job in scheduler.get_jobs())
            )
            # Stopped by Ctrl-C or by `kill` (SIGTERM, as `make run` does): let a running
            # job finish and the threads end before the interpreter does, so nothing is left
            # half-written and no thread outlives the database connection it uses.
            previous = signal.signal(signal.SIGTERM, _stop)
            try:
                scheduler.start()
            except (KeyboardInterrupt, SystemExit):
                if scheduler.running:
                    scheduler.shutdown(wait=True)
                click.echo("Scheduler stopped.")
            finally:
                signal.signal(signal.SIGTERM, previous)
    except SchedulerLocked as e:
        raise click.ClickException(str(e)) from None


def _stop(signum, frame) -> None:
    raise SystemExit(0)


@click.command("calibrate")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Judge the settings as on this day (default: today).",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="Also change each weight by ±25% and each half-life by ±30%, one at a time.",
)
@click.option(
    "--draws",
    type=click.IntRange(min=1),
    default=None,
    help=(
        f"Children drawn from the review's pattern (default {calibration.PATTERN_DRAWS:,}; "
        f"{calibration.SENSITIVITY_DRAWS:,} for each change of --sensitivity)."
    ),
)
@click.pass_context
@with_appcontext
def calibrate_command(
    ctx: click.Context, as_of: str | None, sensitivity: bool, draws: int | None
) -> None:
    """Judge the scoring settings in config.toml before they are used.

    Scores every open case under the current settings without writing anything, and prints
    the band shares, the hotspots a caseload holds at the alert budget's percentile, the
    share of children drawn from the review's pattern (2,000) who are hotspots, the score
    distribution as a text histogram, and where each reference vignette
    (hotspots/reference/vignettes.toml: the thematic review's six children as their records
    stood, and ordinary cases) scores and bands. Warns, and exits with status 1, when a
    review vignette falls below red or within 10% of it, an ordinary one leaves its expected
    band, fewer than 97% of the review's pattern are hotspots, or red or a caseload's
    hotspots pass the alert budget ([alert_budget]).

    With --sensitivity, also scores everything again with each weight 25% lower and higher
    and each half-life 30% shorter and longer, one at a time (minutes at 400,000 cases), and
    warns when the pattern falls below 90% red or red rises above 12% of open cases.

    Example:

        hotspots calibrate --as-of 2026-11-25
        hotspots calibrate --sensitivity --draws 500
    """
    settings = current_app.config["SETTINGS"]
    day, _ = _as_of_option(as_of, settings)
    db = get_db()
    with _database_errors():
        scored = rescoring.scratch_caseload_scores(db, settings, as_of=day)
    model, budget = settings["scoring"], settings["alert_budget"]
    judgement = calibration.judge(settings, scored, day, draws=draws or calibration.PATTERN_DRAWS)
    click.echo(
        f"Calibration as of {day.isoformat()}, model {scoring.model_version(model)}: "
        f"{len(scored):,} open cases"
    )
    click.echo(
        f"Red from {model['red_threshold']:g} points, amber from {model['amber_threshold']:g}."
    )
    for band in scoring.BANDS:
        click.echo(f"  {band:<6} {judgement.counts[band]:>9,}  {judgement.shares[band]:6.1%}")
    click.echo(
        f"Alert budget: red at most {budget['red_share']:.0%} of open cases; at the "
        f"{budget['caseload_percentile']:g}th percentile a caseload holds "
        f"{judgement.caseload_hotspots} hotspots (at most {budget['caseload_hotspots']})."
    )
    rate = judgement.pattern
    click.echo(
        f"The review's pattern: {rate.hotspot_rate:.1%} of {rate.draws:,} children drawn from it "
        f"are hotspots ({rate.amber:,} amber, {rate.green:,} green)."
    )
    click.echo("")
    click.echo("Score distribution (points, open cases):")
    for line in calibration.histogram([score for _, score in scored]):
        click.echo(f"  {line}")
    click.echo("")
    click.echo("Reference vignettes:")
    results = calibration.score_vignettes(calibration.load_vignettes(day), settings, day)
    width = max((len(r.vignette.id) for r in results), default=0)
    for r in results:
        mark = "ok" if r.as_expected else "NOT AS EXPECTED"
        margin = ""
        if r.vignette.group == "review":
            margin = f" {calibration.vignette_margin(r, model):.2f}× the red line"
        click.echo(
            f"  {r.vignette.id:<{width}} {r.score.score:5.1f}  {r.score.band:<6} "
            f"(expected {r.vignette.expect}) {mark}{margin}"
        )
    problems = calibration.warnings(results, judgement, settings)
    if sensitivity:
        problems += _sensitivity(db, settings, day, draws or calibration.SENSITIVITY_DRAWS)
    click.echo("")
    if not problems:
        click.echo("No warnings.")
        return
    for problem in problems:
        click.echo(f"Warning: {problem}")
    ctx.exit(1)


def _sensitivity(db: Database, settings: Mapping[str, Any], day: date, draws: int) -> list[str]:
    """Print the sensitivity table; return its warnings."""

    def score_open_cases(changed: Mapping[str, Any]) -> list[float]:
        with _database_errors():
            return rescoring.scratch_scores(db, changed, as_of=day)

    variants = calibration.sensitivity(settings, score_open_cases, day, draws=draws)
    click.echo("")
    click.echo(
        "Sensitivity (one change at a time; the review's pattern red with the pattern rule "
        "and on points alone, and the red share of open cases):"
    )
    width = max((len(v.setting) for v in variants), default=0)
    click.echo(f"  {'setting':<{width}}  change     value  pattern  points alone    red")
    for v in variants:
        click.echo(
            f"  {v.setting:<{width}}  {v.change:>6}  {v.value:8g}  {v.pattern_rate:7.1%}"
            f"  {v.points_alone_rate:12.1%}  {v.red_share:5.1%}"
        )
    return [
        f"with {v.setting} {v.change} ({v.value:g}) the review's pattern is {v.pattern_rate:.1%} "
        f"red and red {v.red_share:.1%} of open cases: the settings should keep at least "
        f"{calibration.SENSITIVITY_PATTERN_MIN_RATE:.0%} and at most "
        f"{calibration.SENSITIVITY_MAX_RED_SHARE:.0%}"
        for v in variants
        if not v.within_bounds
    ]


commands = [calibrate_command, score_command, caseload_command, scheduler_command]
