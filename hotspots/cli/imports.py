"""``hotspots import`` and ``hotspots demo``: getting data into the service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots.base.dates import local_now
from hotspots.services import demo as demo_data
from hotspots.services import demo_followup
from hotspots.services.importer import CSV_KINDS, KINDS, ImportRejected, import_file, result_of
from hotspots.services.passwords import hash_password
from hotspots.storage.schema import migrations
from hotspots.web.db import get_db


def _database():
    """This command's connection, once the schema is known to be up to date."""
    db = get_db()
    if migrations.pending(db):
        raise click.ClickException(
            f"The database {current_app.config['DATABASE']} is not set up or not up to date:"
            " run `hotspots init-db` first."
        )
    return db


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the file and report what would change, changing nothing.",
)
@with_appcontext
def import_command(kind: str, file: Path, dry_run: bool) -> None:
    """Import a FILE of KIND: a UTF-8 CSV of staff, cases, observations or enquiries, an
    Ofsted Annex A workbook (annex-a, .xlsx, .xlsm or .xls) or a children in need census
    (cin-census, .xml).

    The file imports whole or not at all: any error imports nothing and every error is
    listed where a person can find it ("row N, column C: reason", the header being row 1;
    "List 7, row 12, column …"; "Child 7310000, assessment 1, …"). Importing the same file
    again changes nothing. A report says what was read, changed, skipped and not mapped,
    what the import decided (values read as not known, placeholder workers read as
    unallocated, unborn children, duplicates merged) and what to check (a birth date that
    differs from the case's, a team with no manager); it is kept with the import's audit
    record. Import staff first (it creates the teams and
    names the workers), then cases or the Annex A workbook, then observations, enquiries and
    the census. The cases an import changes are rescored at once.

    Example:

        hotspots import staff staff.csv
        hotspots import annex-a "Annex A 2026.xlsx" --dry-run
        hotspots import cin-census cin-census-2026.xml
        hotspots import incidents serious-incidents.csv
    """
    settings = current_app.config["SETTINGS"]
    now = local_now(settings["app"]["timezone"])
    try:
        report = import_file(
            _database(), settings, kind, file, as_of=now.date(), now=now, dry_run=dry_run
        )
    except ImportRejected as e:
        if e.report is not None:
            # What was read and found besides the errors, then the errors themselves.
            for line in e.report.lines()[1:]:
                if line == "Errors:":
                    break
                click.echo(line, err=True)
        raise click.ClickException(str(e)) from None
    # A full disk, a read-only or locked database: one line (hotspots.cli.FaultsInWords).
    if kind in CSV_KINDS:
        click.echo(result_of(report).summary())
    for line in report.lines():
        click.echo(line)


@click.command("demo")
@click.option(
    "--cases",
    "case_count",
    type=click.IntRange(min=20),
    default=demo_data.DEFAULT_CASES,
    show_default=True,
    help="How many cases to create.",
)
@click.option(
    "--seed", type=int, default=demo_data.DEFAULT_SEED, show_default=True, help="Random seed."
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the demo data runs up to (YYYY-MM-DD). Default: today.",
)
@click.option(
    "--if-empty", is_flag=True, help="Skip quietly (exit 0) when the database already has cases."
)
@click.option(
    "--history-days",
    type=click.IntRange(min=0, max=366),
    default=demo_data.DEFAULT_HISTORY_DAYS,
    show_default=True,
    help="Days of score history before --as-of (a rescore as of each day); 0 for none.",
)
@with_appcontext
def demo_command(case_count: int, seed: int, as_of, if_empty: bool, history_days: int) -> None:
    """Fill an empty database with a synthetic local authority to try the service on.

    Teams with a manager and workers carrying 15 to 30 cases each, one admin, two years of
    indicator observations from several agencies, enquiries, some unallocated cases and a
    few cases with the review's pattern, scored as of each of the last --history-days days
    too (so trends and sparklines have a month behind them). Everything is invented; the same
    seed (and --as-of) gives the same data. Every demo user's password is printed at the end.

    Example:

        hotspots demo --cases 2000 --seed 1
    """
    settings = current_app.config["SETTINGS"]
    db = _database()
    existing = demo_data.count_cases(db)
    if existing:
        if if_empty:
            click.echo(f"The database already has {existing} cases: skipping the demo data.")
            return
        raise click.ClickException(
            f"The database already has {existing} cases; demo data goes only into an empty "
            "database. Point HOTSPOTS_DATABASE__PATH at a new file, or use --if-empty."
        )
    now = local_now(settings["app"]["timezone"])
    day: date = as_of.date() if as_of else now.date()
    try:
        summary = demo_data.load_demo(
            db,
            settings,
            cases=case_count,
            seed=seed,
            as_of=day,
            now=now,
            password_hash=hash_password(demo_data.DEMO_PASSWORD),
            history_days=history_days,
        )
    except demo_data.DemoRefused as e:
        raise click.ClickException(str(e)) from None
    click.echo(summary.text())
    if summary.rescored:  # hotspots to review: a few weeks of follow-through on them
        made = demo_followup.add_follow_through(db, seed=seed, as_of=day)
        click.echo(made.text())
    click.echo(
        "Sign in with any of these (password for every demo user: " + demo_data.DEMO_PASSWORD + "):"
    )
    for role, email in summary.sign_in.items():
        click.echo(f"  {role:<11} {email}")


commands = [import_command, demo_command]
