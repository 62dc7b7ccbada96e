"""``hotspots users``: staff accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from hotspots.db import get_db
from hotspots.forms import MIN_PASSWORD_LENGTH
from hotspots.passwords import hash_password
from hotspots.storage.web import SET_PASSWORD_SQL


@click.group("users")
def users_group() -> None:
    """Staff accounts: who can sign in."""


@users_group.command("set-password")
@click.argument("email")
@with_appcontext
def set_password_command(email: str) -> None:
    """Set the password of the member of staff with EMAIL, read from standard input.

    The password is the first line of standard input (so it never appears in the shell's
    history or the process list); it must be at least 12 characters. At a terminal you
    are asked for it twice, without echo.

    Example:

        printf '%s\\n' 'a long passphrase here' | hotspots users set-password jo@example.gov.uk
    """
    if sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters "
            f"(it was {len(password)}); nothing was changed"
        )
    db = get_db()
    changed = db.execute(
        SET_PASSWORD_SQL, {"email": email.strip(), "password_hash": hash_password(password)}
    ).rowcount
    if changed == 0:
        raise click.ClickException(f"no member of staff has the email {email}; nothing was changed")
    click.echo(f"Password set for {email.strip()}")


commands = [users_group]
