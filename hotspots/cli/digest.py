"""``hotspots digest``: send (or preview) the managers' daily hotspot digests."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots.base.dates import parse_date, service_now
from hotspots.services.sending import (
    gather_digest,
    managers,
    render_digest,
    send_due_digests,
    why_not_a_digest_day,
)
from hotspots.web.db import get_db


@click.command("digest")
@click.option(
    "--date",
    "digest_date",
    metavar="YYYY-MM-DD",
    help="The digests' date (default: today in [app] timezone).",
)
@click.option("--manager", "manager_email", metavar="EMAIL", help="Only this manager's digest.")
@click.option(
    "--dry-run", is_flag=True, help="Print the plain-text digests; claim and send nothing."
)
@click.option(
    "--retry-failed", is_flag=True, help="Try again the digests recorded as failed for the date."
)
@click.option(
    "--release-stuck",
    is_flag=True,
    help="Take over and send now the digests claimed by a sender on this machine that has "
    "stopped, instead of waiting for their claims to lapse.",
)
@with_appcontext
def digest_command(
    digest_date: str | None,
    manager_email: str | None,
    dry_run: bool,
    retry_failed: bool,
    release_stuck: bool,
) -> None:
    """Send the managers' hotspot digests due for a date, each exactly once.

    Every manager with a team gets one digest a day (on [digest] send_days, never on a bank
    holiday in England and Wales); digests already sent, or being sent by another process,
    are skipped, so running this again (or alongside the scheduler) never sends a duplicate.
    A digest claimed by a sender that stopped (killed or crashed mid-run) is reported as
    stuck, with when its claim lapses and it goes out; --release-stuck sends it now.
    Exits 0 when nothing is left to send, 1 when a digest failed (its error is recorded and
    shown to admins) or is stuck. A future --date can only be previewed with --dry-run.
    Mail goes by [mail] transport: "outbox" writes .eml files, "smtp" sends.

    Example:

    \b
        hotspots digest --dry-run --manager nina@council.example
        hotspots digest --date 2026-11-26
        hotspots digest --date 2026-11-26 --manager nina@council.example --retry-failed
        hotspots digest --date 2026-11-26 --release-stuck
    """
    settings = current_app.config["SETTINGS"]
    now = service_now(current_app.config)
    try:
        day = parse_date(digest_date) if digest_date else now.date()
    except ValueError as e:
        raise click.ClickException(f"--date: {e}") from None
    db = get_db()
    if manager_email and not managers(db, manager_email):
        raise click.ClickException(f"no manager has the email {manager_email}")
    reason = why_not_a_digest_day(day, settings)

    if dry_run:
        if reason:
            click.echo(f"(not a digest day: {reason}; this is what would be sent otherwise)\n")
        for manager in managers(db, manager_email):
            if manager["team_id"] is None:
                click.echo(f"{manager['email']}: no team, so no digest\n")
                continue
            digest = gather_digest(db, settings, manager, digest_date=day, now=now)
            subject, text, _ = render_digest(digest)
            click.echo(f"To: {manager['email']}\nSubject: {subject}\n\n{text}")
        return

    if reason:
        click.echo(f"No digests are due: {reason}. Nothing sent.")
        return
    if day > now.date():
        # A claim stored for a future day would block that morning's real digest.
        raise click.ClickException(
            f"--date {day.isoformat()} is in the future: a future digest can only be "
            "previewed (--dry-run); it is sent on its own morning"
        )
    outcomes = send_due_digests(
        db,
        settings,
        digest_date=day,
        now=now,
        manager_email=manager_email,
        retry_failed=retry_failed,
        release_stuck=release_stuck,
    )
    if not outcomes:
        click.echo("No managers to send digests to.")
    for outcome in outcomes:
        click.echo(f"{day.isoformat()} {outcome}")
    failed = [o for o in outcomes if o.status == "failed"]
    stuck = [o for o in outcomes if o.status == "stuck"]
    problems = []
    if failed:
        problems.append(
            f"{len(failed)} digest{'s' if len(failed) != 1 else ''} failed (recorded in "
            "digests, shown on /admin/digests); fix the cause, then run "
            f"`hotspots digest --date {day.isoformat()} --retry-failed`"
        )
    if stuck:
        problems.append(
            f"{len(stuck)} digest{'s are' if len(stuck) != 1 else ' is'} held by a sender that "
            "stopped (see above for when each goes out); to send now, run "
            f"`hotspots digest --date {day.isoformat()} --release-stuck`"
        )
    if problems:
        raise click.ClickException("; and ".join(problems))


commands = [digest_command]
