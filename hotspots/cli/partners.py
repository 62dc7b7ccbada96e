"""``hotspots partners``: the partner systems that send observations through the API."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots.base.dates import local_now
from hotspots.services import partners
from hotspots.web.db import get_db


def _now():
    return local_now(current_app.config["SETTINGS"]["app"]["timezone"])


@click.group("partners")
def partners_group() -> None:
    """Partner systems: who may send observations to the API, with which token."""


@partners_group.command("add")
@click.argument("name")
@click.option("--source", required=True, help="The agency it speaks for, from [import] sources.")
@with_appcontext
def add_command(name: str, source: str) -> None:
    """Register partner system NAME for agency SOURCE and print its token.

    The token is printed once, last, on a line of its own: give it to the partner's system
    over a secure channel. The service keeps only a hash of it, so a lost token cannot be
    shown again: make a new one with `hotspots partners rotate`. Every observation the
    partner sends has SOURCE as its source.

    Example:

        hotspots partners add norfolk-police-ppn --source police
    """
    settings = current_app.config["SETTINGS"]
    try:
        token = partners.add(get_db(), name, source, settings["import"]["sources"], now=_now())
    except partners.PartnerError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Partner {name.strip().lower()} registered for {source}. Its token (shown once):")
    click.echo(token)


@partners_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the partner systems: agency, state, live tokens, and what each last sent.

    Example:

        hotspots partners list
    """
    rows = partners.listing(get_db(), now=_now())
    timezone = current_app.config["SETTINGS"]["app"]["timezone"]
    if not rows:
        click.echo("No partners yet: add one with `hotspots partners add NAME --source SOURCE`.")
        return
    for row in rows:
        revoked = partners.local_time(row["revoked_at"], timezone)
        state = f"revoked {revoked}" if row["revoked_at"] else "active"
        tokens = f"{row['live_tokens']} live token{'' if row['live_tokens'] == 1 else 's'}"
        last = (
            f"last sent {partners.local_time(row['last_sent_at'], timezone)}: "
            f"{partners.last_sent_words(row['last_sent'])}"
            if row["last_sent_at"]
            else "has sent nothing yet"
        )
        click.echo(f"{row['name']}\t{row['source']}\t{state}\t{tokens}\t{last}")


@partners_group.command("rotate")
@click.argument("name")
@click.option(
    "--overlap-hours",
    type=click.IntRange(min=0),
    default=None,
    help="Hours the old token keeps working (default [api] token_overlap_hours; 0: stop now).",
)
@with_appcontext
def rotate_command(name: str, overlap_hours: int | None) -> None:
    """Give partner NAME a new token, printed last on a line of its own.

    The old token keeps working for [api] token_overlap_hours (24) so the partner can
    switch over without a gap; then it stops. For a leaked token, `--overlap-hours 0`
    stops the old one at once and keeps the partner (and its references).

    Example:

        hotspots partners rotate norfolk-police-ppn
        hotspots partners rotate norfolk-police-ppn --overlap-hours 0
    """
    hours = overlap_hours
    if hours is None:
        hours = current_app.config["SETTINGS"]["api"]["token_overlap_hours"]
    try:
        token = partners.rotate(get_db(), name, overlap=timedelta(hours=hours), now=_now())
    except partners.PartnerError as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"New token for {name.strip().lower()}; the old one works for {hours} more hours. "
        "The new token (shown once):"
        if hours
        else f"New token for {name.strip().lower()}; the old one no longer works. "
        "The new token (shown once):"
    )
    click.echo(token)


@partners_group.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_command(name: str) -> None:
    """Revoke partner NAME: every token it has stops working at once (401).

    What it sent stays. A revoked partner cannot be brought back: register its system again
    under a new name.

    Example:

        hotspots partners revoke norfolk-police-ppn
    """
    try:
        partners.revoke(get_db(), name, now=_now())
    except partners.PartnerError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Partner {name.strip().lower()} revoked: its tokens no longer work.")


commands = [partners_group]
