"""Operations commands: ``hotspots backup``, ``hotspots restore`` and ``hotspots retention``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots.base.dates import service_now
from hotspots.services import audit, backups, retention
from hotspots.web.db import get_db


def _now():
    return service_now(current_app.config)


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=True, file_okay=True))
@click.option("--keep", type=int, help="In a folder: keep only the newest N backups.")
@with_appcontext
def backup_command(dest: str, keep: int | None) -> None:
    """Back up the database to DEST while the service runs.

    DEST is a file, or a folder to hold hotspots-YYYYMMDD-HHMMSS.db. SQLite's online backup
    copies one consistent moment (safe during a rescore or an import); the copy is created
    readable by this user only, checked with PRAGMA integrity_check, and only then given
    its name. With --keep, older backups in the folder are deleted after the new one is
    checked. The nightly job does the same with [backup] dir and keep.

    Example:

    \b
        hotspots backup /srv/backups/hotspots --keep 14
        hotspots backup /tmp/before-upgrade.db
    """
    settings = current_app.config["SETTINGS"]
    if keep is not None and not Path(dest).is_dir():
        raise click.ClickException("--keep needs DEST to be a folder; nothing was written")
    try:
        path = backups.backup(settings["database"]["path"], dest, now=_now())
    except (backups.BackupError, OSError) as e:
        raise click.ClickException(f"backup failed, nothing written: {e}") from None
    click.echo(f"Backed up to {path} (integrity check ok)")
    if keep is not None:
        for old in backups.rotate(dest, keep):
            click.echo(f"Deleted the older backup {old}")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(backup_file: str, yes: bool) -> None:
    """Replace the database with BACKUP_FILE (after checking it).

    Stop the web app and the scheduler first (a running scheduler is detected and refused).
    The backup is checked with PRAGMA integrity_check before anything is changed, copied
    over the database with SQLite's backup API, checked again, and brought up to date
    with any newer migrations. Everything written since the backup is lost.

    Example:

        hotspots restore /srv/backups/hotspots/hotspots-20261126-013000.db --yes
    """
    from hotspots.jobs.scheduler import SchedulerLocked, scheduler_lock
    from hotspots.storage.schema import migrate

    settings = current_app.config["SETTINGS"]
    database = settings["database"]["path"]
    try:
        backups.check(backup_file)
    except backups.BackupError as e:
        raise click.ClickException(f"{e}; nothing was changed") from None
    if not yes:
        click.confirm(
            f"Replace {database} with {backup_file}? Everything written since is lost",
            abort=True,
        )
    try:
        with scheduler_lock(settings):
            backups.restore(backup_file, database)
    except SchedulerLocked as e:
        raise click.ClickException(f"stop the scheduler first: {e}") from None
    except backups.BackupError as e:
        raise click.ClickException(f"restore failed: {e}") from None
    db = get_db()
    applied = migrate(db)
    audit.record(db, at=_now(), action="restore", detail=f"from {backup_file}")
    click.echo(
        f"Restored {database} from {backup_file}"
        + (f"; applied {', '.join(applied)}" if applied else "")
    )


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Remove what [retention] says the service no longer needs.

    Closed cases (and everything under them) closed_case_days after closing, with an audit
    row for each; score history older than score_history_days; sent digests in the outbox
    older than outbox_days; audit rows older than audit_days; records of ended sessions;
    partners' notifications for unknown children attached or dismissed unmatched_days ago;
    uploaded files never imported.
    All in one transaction. The nightly job runs the same. --dry-run does the same work and
    rolls it back, so its counts are exact.

    Example:

        hotspots retention --dry-run
    """
    settings = current_app.config["SETTINGS"]
    try:
        report = retention.apply_retention(
            get_db(),
            settings,
            now=_now(),
            dry_run=dry_run,
            instance_path=current_app.instance_path,
        )
    except retention.RetentionError as e:
        raise click.ClickException(str(e)) from None
    if dry_run:
        click.echo("Dry run: nothing was removed.")
    for line in report.lines():
        click.echo(line)


commands = [backup_command, restore_command, retention_command]
