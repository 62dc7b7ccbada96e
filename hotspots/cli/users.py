"""``hotspots users``: staff accounts: passwords, the list of accounts, sign-outs, leavers."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from hotspots.base.dates import service_now, stamp
from hotspots.services import audit, reallocation, sessions
from hotspots.services.passwords import MIN_LENGTH, hash_password, password_problem, service_words
from hotspots.storage import allocation, write_transaction
from hotspots.storage import staff as staff_store
from hotspots.web.db import get_db

MIN_PASSWORD_LENGTH = MIN_LENGTH


def _now():
    return service_now(current_app.config)


def _staff(db, email: str) -> dict:
    row = staff_store.by_email(db, email.strip())
    if row is None:
        raise click.ClickException(f"no member of staff has the email {email}; nothing was changed")
    return row


@click.group("users")
def users_group() -> None:
    """Staff accounts: who can sign in."""


@users_group.command("set-password")
@click.argument("email")
@with_appcontext
def set_password_command(email: str) -> None:
    """Set the password of the member of staff with EMAIL, read from standard input.

    The password is the first line of standard input (so it never appears in the shell's
    history or the process list). It must be 12 to 1,024 characters, not one character
    repeated, not contain the email, and be hard to guess by zxcvbn's estimate (at least
    10^10 guesses, knowing common passwords, words and names, keyboard patterns, repeats,
    dates, the email, the service's and the council's names). At a terminal you are asked
    for it twice, without echo. The change ends the person's sessions and is written to the
    audit log.

    Example:

        printf '%s\\n' 'a long passphrase here' | hotspots users set-password jo@example.gov.uk
    """
    if sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    db = get_db()
    staff = _staff(db, email)
    words = service_words(current_app.config["SETTINGS"])
    problem = password_problem(password, staff["email"], words=words)
    if problem:
        raise click.ClickException(f"{problem}; nothing was changed")
    if staff["disabled_at"]:
        raise click.ClickException(
            f"{staff['email']} is disabled (a leaver) and cannot sign in; nothing was changed"
        )
    now = _now()
    with write_transaction(db):
        staff_store.set_password_by_email(db, staff["email"], hash_password(password))
        ended = sessions.end_all_sessions(db, staff["id"], now=now, reason="password changed")
        audit.record(
            db,
            at=now,
            action="set_password",
            detail=f"staff {staff['email']}; {ended} session(s) ended",
        )
    click.echo(f"Password set for {staff['email']}")


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """List every member of staff: email, role, team, open cases, and whether they can sign
    in (disabled leavers last).

    Example:

        hotspots users list
    """
    rows = staff_store.accounts(get_db())
    if not rows:
        click.echo("No staff yet: load them with `hotspots import staff FILE`.")
        return
    width = max(len(r["email"]) for r in rows)
    for row in rows:
        if row["disabled_at"]:
            state = f"disabled {row['disabled_at'][:10]}"
        elif row["can_sign_in"]:
            state = "can sign in"
        else:
            state = "no password"
        click.echo(
            f"{row['email']:<{width}}  {row['role']:<7}  {row['team_name'] or '(no team)':<20}  "
            f"{row['open_cases']:>4} open cases  {state}"
        )


@users_group.command("sign-out")
@click.argument("email")
@with_appcontext
def sign_out_command(email: str) -> None:
    """End every session of the member of staff with EMAIL (a lost laptop, a shared screen):
    they must sign in again everywhere.

    Example:

        hotspots users sign-out jo@example.gov.uk
    """
    db = get_db()
    staff = _staff(db, email)
    now = _now()
    with write_transaction(db):
        ended = sessions.end_all_sessions(db, staff["id"], now=now, reason="ended by an admin")
        audit.record(
            db, at=now, action="end_sessions", detail=f"staff {staff['email']}; {ended} ended"
        )
    click.echo(f"Ended {ended} session{'s' if ended != 1 else ''} of {staff['email']}")


@users_group.command("disable")
@click.argument("email")
@click.option(
    "--move-cases-to",
    "move_to",
    metavar="EMAIL",
    help="Give their open cases to this member of their team.",
)
@click.option(
    "--leave-unallocated",
    is_flag=True,
    help="Leave their open cases unallocated (listed on the team page and in the digest).",
)
@click.option("--reason", default="", help="Why, recorded with each case moved.")
@with_appcontext
def disable_command(email: str, move_to: str | None, leave_unallocated: bool, reason: str) -> None:
    """Disable a leaver's account: they cannot sign in, their sessions end and their
    password is removed; their name stays in the history. Someone who holds open cases is
    disabled only once it is said where the cases go: --move-cases-to a member of their
    team, or --leave-unallocated (either with --reason).

    Example:

        hotspots users disable jo@example.gov.uk --move-cases-to sam@example.gov.uk \\
            --reason "Left on 27 February"
    """
    db = get_db()
    staff = _staff(db, email)
    held = allocation.open_cases_of(db, staff["id"])
    to_worker = None
    if held and not staff["disabled_at"]:
        refs = ", ".join(c["case_ref"] for c in held)
        if bool(move_to) == leave_unallocated:
            raise click.ClickException(
                f"{staff['email']} holds {len(held)} open case(s) ({refs}): say where they go "
                "with --move-cases-to EMAIL (a member of their team) or --leave-unallocated, "
                "and --reason; nothing was changed"
            )
        if not reason.strip():
            raise click.ClickException(
                "give --reason (why they are disabled; it is kept with each case moved); "
                "nothing was changed"
            )
        if move_to:
            taker = _staff(db, move_to)
            if (
                taker["team_id"] != staff["team_id"]
                or taker["disabled_at"]
                or taker["role"] not in ("worker", "manager")
                or taker["id"] == staff["id"]
            ):
                raise click.ClickException(
                    f"{taker['email']} cannot take the cases: choose an active worker or "
                    "manager of the same team; nothing was changed"
                )
            to_worker = taker["id"]
    now = _now()
    with write_transaction(db):
        changed = staff_store.disable(db, staff["id"], stamp(now))
        ended = sessions.end_all_sessions(db, staff["id"], now=now, reason="account disabled")
        moved = []
        if changed:
            audit.record(
                db,
                at=now,
                action="disable_staff",
                detail=f"staff {staff['email']}; {ended} session(s) ended",
            )
            moved = reallocation.record_moves(
                db,
                held,
                from_worker_id=staff["id"],
                to_worker_id=to_worker,
                reason=reason.strip(),
                actor=None,
                now=now,
            )
    reallocation.rescore_moved(db, moved, current_app.config["SETTINGS"], now=now)
    if changed:
        click.echo(f"Disabled {staff['email']}: they can no longer sign in")
    else:
        click.echo(f"{staff['email']} was already disabled")
    if moved:
        where = f"to {move_to}" if to_worker else "and left unallocated (see the team page)"
        click.echo(f"{len(moved)} open case{'s' if len(moved) != 1 else ''} moved {where}")
    elif held:
        click.echo(f"{len(held)} open case(s) to reallocate from the team page")
    else:
        click.echo("No open cases to reallocate")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def enable_command(email: str) -> None:
    """Enable a disabled account again (someone who came back). They still need a new
    password (`hotspots users set-password`) before they can sign in.

    Example:

        hotspots users enable jo@example.gov.uk
    """
    db = get_db()
    staff = _staff(db, email)
    if not staff["disabled_at"]:
        click.echo(f"{staff['email']} is not disabled; nothing was changed")
        return
    now = _now()
    with write_transaction(db):
        staff_store.enable(db, staff["id"])
        audit.record(db, at=now, action="enable_staff", detail=f"staff {staff['email']}")
    click.echo(
        f"Enabled {staff['email']}: set a password with `hotspots users set-password` "
        "before they sign in"
    )


commands = [users_group]
