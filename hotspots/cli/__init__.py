"""The ``hotspots`` command: a Flask CLI group, so ``flask --app hotspots …`` works the same.

Commands are registered on the app's own ``app.cli`` (as in Flask's tutorial), so the
``hotspots`` group, ``flask --app hotspots`` and ``app.test_cli_runner()`` all see the same
commands. Each area's commands live in a module beside this one.
"""

from __future__ import annotations

import importlib
import sqlite3

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, routes_command, shell_command, with_appcontext

from hotspots.base import faults
from hotspots.base.config import ConfigError
from hotspots.storage import SQLiteTooOld
from hotspots.storage.schema import migrate
from hotspots.web.app import build_app, ensure_secret_key
from hotspots.web.db import get_db

# Modules beside this one, each with a ``commands`` list of click commands.
AREAS = ("imports", "scoring", "users", "digest", "partners", "serve", "operations", "reports")


def _make_app():
    try:
        # Commands run without a secret key (init-db makes one); `hotspots run` checks it.
        app = build_app(require_secret_key=False)
    except ConfigError as e:
        raise click.ClickException(f"configuration: {e}") from None
    except SQLiteTooOld as e:
        raise click.ClickException(str(e)) from None
    register_commands(app)
    return app


class FaultsInWords(click.Group):
    """A group whose commands answer a fault of the machine (a full disk, a read-only or
    locked database: ``hotspots.base.faults``) with one line saying what happened and what to do,
    as an ``Error:``, exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (sqlite3.Error, OSError) as e:
            fault = faults.fault_of(e)
            if fault is None:
                raise
            raise click.ClickException(fault.words()) from None


class HotspotsGroup(FaultsInWords, FlaskGroup):
    """The ``hotspots`` command."""


class Commands(FaultsInWords, AppGroup):
    """The app's own commands (``app.cli``, which ``app.test_cli_runner()`` invokes)."""


@click.group(
    cls=HotspotsGroup,
    create_app=_make_app,
    add_version_option=False,
    add_default_commands=False,
)
def cli() -> None:
    """caseload hotspots: ranked caseloads and manager digests for children's social care."""


# Flask's shell and routes; `run` is the service's own (hotspots.cli.serve).
cli.add_command(shell_command)
cli.add_command(routes_command)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database, or bring it up to date; safe to run again.

    Also creates the instance folder's secret key file if there is none.

    Example:

        hotspots init-db
    """
    applied = migrate(get_db())
    ensure_secret_key(current_app)
    if applied:
        click.echo(f"Database {current_app.config['DATABASE']}: applied {', '.join(applied)}")
    else:
        click.echo(f"Database {current_app.config['DATABASE']} is up to date")


def register_commands(app) -> None:
    """Add every area's commands to ``app.cli`` (a group that answers faults in words)."""
    commands = Commands(app.cli.name)
    commands.commands.update(app.cli.commands)
    app.cli = commands
    app.cli.add_command(init_db_command)
    for area in AREAS:
        for command in importlib.import_module(f"hotspots.cli.{area}").commands:
            app.cli.add_command(command)


def main() -> None:
    cli()
