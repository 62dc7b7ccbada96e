"""Sending the daily digests: gather each manager's data, claim, build, render, send, record.

This is the edge around the pure builder (``hotspots.model.digest``) and the mail module. Each
(manager, date) is sent at most once by whoever claims it first:

1. *Claim*: ``INSERT OR IGNORE`` a ``digests`` row (status ``claimed``). The UNIQUE
   (manager_id, digest_date) constraint lets exactly one of any number of concurrent senders
   (threads, scheduler processes, a ``hotspots digest`` run) insert it; the others see the
   row and skip. A ``claimed`` row older than ``[digest] claim_lease_minutes`` (its sender
   crashed) is taken over by a conditional UPDATE, which again only one sender can win.
2. *Send* with a deterministic Message-ID (``<digest-DATE-MANAGER_ID@domain>``), retrying
   temporary failures; before each attempt the sender checks it still holds the claim.
3. *Record*: ``sent`` (with sent_at, subject, Message-ID) or ``failed`` (with the error),
   again only while holding the claim.

The remaining window, honestly: if the process dies after the SMTP server accepted the
message but before step 3 committed, the claim goes stale and the digest is sent again
after the lease (at-least-once in that window; the repeated Message-ID lets mail systems
that de-duplicate on it drop the copy). A sender stalled for longer than the lease before an
attempt loses its claim and stops; one stalled *inside* an SMTP conversation for longer than
the lease could overlap with the sender that took over, so the lease must stay well above
``max_attempts`` × ``smtp_timeout_seconds`` plus the backoff.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from hotspots import storage
from hotspots.base.resources import TEMPLATES_DIR
from hotspots.model.digest import build_digest, is_digest_day, lease_has_run_out, weekdays
from hotspots.model.working_days import bank_holidays
from hotspots.services import audit, mail, rescoring
from hotspots.storage import digests as digests_store
from hotspots.storage import followup, write_transaction

log = logging.getLogger(__name__)

TEMPLATE = "digest"


@dataclass
class Outcome:
    """What happened to one manager's digest in a run."""

    manager_email: str
    team: str | None
    status: str  # sent | already_sent | in_progress | stuck | failed | skipped
    detail: str = ""

    def __str__(self) -> str:
        words = {
            "sent": "sent",
            "already_sent": "already sent",
            "in_progress": "being sent by another sender",
            "stuck": "STUCK behind a sender that stopped",
            "failed": "FAILED",
            "skipped": "skipped",
        }[self.status]
        team = f" ({self.team})" if self.team else ""
        return f"{self.manager_email}{team}: {words}" + (f": {self.detail}" if self.detail else "")


class ClaimLost(Exception):
    """Another sender took this digest over (our lease ran out); stop without sending."""


def why_not_a_digest_day(day: date, settings: Mapping[str, Any]) -> str | None:
    """None on a digest day; otherwise the reason, in words."""
    holidays = bank_holidays()
    if is_digest_day(day, settings["digest"]["send_days"], holidays):
        return None
    if day in holidays:
        return f"{day.isoformat()} is a bank holiday ({holidays[day]})"
    if day.weekday() not in weekdays(settings["digest"]["send_days"]):
        return f"{day:%A} is not one of [digest] send_days ({settings['digest']['send_days']})"
    return f"{day.isoformat()} is not a digest day"


def managers(db: sqlite_utils.Database, email: str | None = None) -> list[dict[str, Any]]:
    """Every manager (or the one with ``email``), with their team's id and name."""
    return digests_store.managers(db, email)


def gather_digest(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    manager: Mapping[str, Any],
    *,
    digest_date: date,
    now: datetime,
) -> dict[str, Any]:
    """Read one manager's team from the database and build the digest (plain data)."""
    team_id = manager["team_id"]
    previous_date = digests_store.previous_sent_digest_date(db, manager["id"], digest_date)
    since = min(previous_date or digest_date, digest_date - timedelta(days=1))
    history = digests_store.team_history(db, team_id, since, digest_date)
    cases = digests_store.team_cases(db, team_id, digest_date)
    # A large authority's nightly rescore stores no explanations (see rescoring): the
    # reasons are worked out here, for the cases the digest may list.
    scored = {case["id"]: case for case in cases if case["score"] is not None}
    explained = rescoring.contributions_for(
        db, {i: {**case, "as_of": case["scored_on"]} for i, case in scored.items()}, settings
    )
    for case_id, contributions in explained.items():
        scored[case_id]["contributions"] = contributions
    return build_digest(
        manager=manager,
        team={"id": team_id, "name": manager["team_name"]},
        workers=digests_store.team_workers(db, team_id),
        cases=cases,
        history=history,
        previous_digest_date=previous_date,
        date=digest_date,
        now=now,
        settings=settings,
        overdue_actions=followup.team_overdue_actions(db, team_id, digest_date.isoformat()),
    )


def render_digest(digest: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of a built digest."""
    return mail.render(TEMPLATE, {"digest": digest}, templates_dir=TEMPLATES_DIR)


def digest_message(
    digest: Mapping[str, Any], settings: Mapping[str, Any], *, now: datetime
) -> mail.EmailMessage:
    """The email for a built digest, with its deterministic Message-ID."""
    sender = settings["mail"]["from_address"]
    return mail.make_message(
        TEMPLATE,
        digest["manager"]["email"],
        {"digest": digest},
        templates_dir=TEMPLATES_DIR,
        sender=sender,
        message_id=digest_message_id(digest["manager"]["id"], digest["date"], sender),
        date=now,
    )


def digest_message_id(manager_id: int, digest_date: date, from_address: str) -> str:
    """The same Message-ID for every attempt at one manager's digest for one day."""
    domain = from_address.rpartition("@")[2].strip("> ") or "localhost"
    return f"<digest-{digest_date.isoformat()}-{manager_id}@{domain}>"


# Claim (manager, date) for a sender: the digests row when it now holds the claim, None
# when the digest is sent, held by another sender within its lease, or failed (unless
# retry_failed). A conditional write, so it is storage's (hotspots.storage.digests.claim).
claim_digest = digests_store.claim


def send_digest(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    manager: Mapping[str, Any],
    *,
    digest_date: date,
    now: datetime,
    transport: mail.Transport,
    claimed_by: str,
    clock: Callable[[], datetime] | None = None,
    retry_failed: bool = False,
    release_stuck: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Claim, build, render, send and record one manager's digest for ``digest_date``.
    With ``release_stuck``, a claim held by a sender that has stopped (``sender_state``) is
    taken over at once instead of when its lease ends."""
    clock = clock or _clock_from(now)
    team = manager.get("team_name")
    if manager["team_id"] is None:
        return Outcome(manager["email"], None, "skipped", "has no team")
    lease = timedelta(minutes=settings["digest"]["claim_lease_minutes"])
    claim = claim_digest(
        db,
        manager_id=manager["id"],
        digest_date=digest_date,
        now=clock(),
        claimed_by=claimed_by,
        lease=lease,
        retry_failed=retry_failed,
    )
    if claim is None and release_stuck:
        claim = release_stuck_claim(
            db,
            manager_id=manager["id"],
            digest_date=digest_date,
            now=clock(),
            claimed_by=claimed_by,
        )
    if claim is None:
        return _not_ours(db, settings, manager, digest_date, now=clock())
    guard = {"digest_id": claim["id"], "claimed_by": claimed_by}
    subject = message_id = None
    try:
        digest = gather_digest(db, settings, manager, digest_date=digest_date, now=now)
        message = digest_message(digest, settings, now=now)
        subject, message_id = message["Subject"], message["Message-ID"]

        def before_attempt(n: int) -> None:
            if not digests_store.count_attempt(db, **guard):
                raise ClaimLost(f"claim lost before attempt {n}")

        mail.send_with_retries(
            message,
            transport,
            max_attempts=settings["mail"]["max_attempts"],
            backoff_seconds=settings["mail"]["retry_backoff_seconds"],
            before_attempt=before_attempt,
            sleep=sleep,
        )
    except ClaimLost as e:
        return Outcome(manager["email"], team, "in_progress", str(e))
    except mail.MailError as e:
        _record_failure(db, guard, str(e), subject, message_id)
        log.warning("digest %s for manager %s failed: %s", digest_date, manager["id"], e)
        return Outcome(manager["email"], team, "failed", str(e))
    except Exception as e:  # a bug or bad data: record it rather than leave a silent claim
        log.exception("digest %s for manager %s could not be built", digest_date, manager["id"])
        error = f"could not build the digest: {type(e).__name__}: {e}"
        _record_failure(db, guard, error, subject, message_id)
        return Outcome(manager["email"], team, "failed", error)
    marked = digests_store.mark_sent(
        db, **guard, now=clock(), subject=subject, message_id=message_id
    )
    if not marked:
        log.warning(
            "digest %s for manager %s sent, but the claim was lost", digest_date, manager["id"]
        )
    counts = digest["counts"]
    return Outcome(
        manager["email"],
        team,
        "sent",
        f"{_plural(counts['hotspots'], 'hotspot')}, {counts['new_hotspots']} new, "
        f"{_plural(counts['open_cases'], 'open case')}",
    )


def send_due_digests(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    digest_date: date,
    now: datetime,
    manager_email: str | None = None,
    retry_failed: bool = False,
    release_stuck: bool = False,
    transport: mail.Transport | None = None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Send every manager's digest for ``digest_date`` that nobody has sent or is sending.
    Safe to call any number of times, from any number of processes at once. Does not check
    that ``digest_date`` is a digest day (see ``why_not_a_digest_day``). ``release_stuck``:
    see ``send_digest``."""
    transport = transport or mail.transport_from_settings(settings["mail"])
    clock = clock or _clock_from(now)
    claimed_by = sender_identity()
    everyone = managers(db, manager_email)

    def send(connection, manager) -> Outcome:
        return send_digest(
            connection,
            settings,
            manager,
            digest_date=digest_date,
            now=now,
            transport=transport,
            claimed_by=claimed_by,
            clock=clock,
            retry_failed=retry_failed,
            release_stuck=release_stuck,
            sleep=sleep,
        )

    workers = min(settings["digest_recovery"]["parallel_sends"], len(everyone))
    path = storage.database_file(db)
    if workers <= 1 or path is None:
        return [send(db, manager) for manager in everyone]
    # Several at once, so one slow mail server conversation does not hold up the others;
    # each thread has its own connection (a connection is not shared between threads).
    local = threading.local()
    opened: list[sqlite_utils.Database] = []
    lock = threading.Lock()
    timeout = settings["database"]["busy_timeout_ms"]

    def send_in_thread(manager) -> Outcome:
        if not hasattr(local, "db"):
            local.db = storage.connect(path, timeout)
            with lock:
                opened.append(local.db)
        return send(local.db, manager)

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digest") as pool:
            return list(pool.map(send_in_thread, everyone))
    finally:
        for connection in opened:
            connection.close()


def sender_identity() -> str:
    """Who holds a claim: host, process and a random part (two threads differ too)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def manager_by_id(db: sqlite_utils.Database, manager_id: int) -> dict[str, Any] | None:
    return digests_store.manager(db, manager_id)


def _not_ours(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    manager: Mapping[str, Any],
    digest_date: date,
    *,
    now: datetime,
) -> Outcome:
    row = digests_store.digest_row(db, manager["id"], digest_date)
    team = manager.get("team_name")
    if not row:  # vanished between the claim and now: someone deleted it by hand
        return Outcome(manager["email"], team, "in_progress", "claim row missing")
    if row["status"] == "sent":
        return Outcome(manager["email"], team, "already_sent", f"at {row['sent_at']}")
    if row["status"] == "failed":
        return Outcome(
            manager["email"],
            team,
            "failed",
            f"failed earlier ({row['last_error']}); --retry-failed tries again",
        )
    state = sender_state(row["claimed_by"])
    return Outcome(
        manager["email"],
        team,
        "stuck" if state == "stopped" else "in_progress",
        held_claim_words(row, state, settings, digest_date=digest_date, now=now),
    )


def sender_state(claimed_by: str) -> str:
    """Whether the sender holding a claim is ``running`` or has ``stopped``, as far as this
    machine can tell (its process, named in ``sender_identity``, is or is not here), or
    ``unknown`` (another machine's, or a claim not named that way)."""
    host, _, rest = (claimed_by or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isascii() or not pid.isdigit():
        return "unknown"
    try:
        os.kill(int(pid), 0)  # signal 0: is there such a process? (nothing is sent)
    except ProcessLookupError:
        return "stopped"
    except PermissionError:  # there is one, another user's
        return "running"
    except (OverflowError, ValueError):  # no process could have that number
        return "unknown"
    return "running"


def held_claim_words(
    row: Mapping[str, Any],
    state: str,
    settings: Mapping[str, Any],
    *,
    digest_date: date,
    now: datetime,
) -> str:
    """A claim another sender holds, in words: who, since when, when it lapses and the
    digest goes out, and (for a sender that stopped) how to send it now."""
    zone = ZoneInfo(settings["app"]["timezone"])
    claimed_at = datetime.fromisoformat(row["claimed_at"]).astimezone(zone)
    lease = timedelta(minutes=settings["digest"]["claim_lease_minutes"])
    lapses = claimed_at + lease
    host, _, rest = row["claimed_by"].partition(":")
    pid = rest.partition(":")[0]
    who = {
        "running": f"process {pid}, still running on this machine",
        "stopped": f"process {pid} on this machine, which is no longer running (it crashed "
        "or was stopped before it recorded the digest as sent)",
        "unknown": f"{row['claimed_by']}, on another machine",
    }[state]
    text = f"claimed at {claimed_at:%H:%M} by {who}"
    if not lease_has_run_out(claimed_at, now, lease):
        text += f"; the claim lapses at {lapses:%H:%M}, and the first digest run after that " + (
            "sends it" + _retry_words(settings, lapses)
        )
    else:
        text += f"; the claim lapsed at {lapses:%H:%M}, so the next digest run sends it"
    if state == "stopped":
        text += (
            f". To send it now: hotspots digest --date {digest_date.isoformat()} --release-stuck"
        )
    return text


def _retry_words(settings: Mapping[str, Any], lapses: datetime) -> str:
    recovery = settings["digest_recovery"]
    if recovery["retry_every_minutes"] and lapses.hour < recovery["retry_until_hour"]:
        return (
            f" (the scheduler retries every {recovery['retry_every_minutes']} minutes until "
            f"{recovery['retry_until_hour']:02d}:00; else run hotspots digest)"
        )
    return " (run hotspots digest: the scheduler's retries have finished for the day)"


def release_stuck_claim(
    db: sqlite_utils.Database,
    *,
    manager_id: int,
    digest_date: date,
    now: datetime,
    claimed_by: str,
) -> dict[str, Any] | None:
    """Take over (manager, date)'s claim for ``claimed_by`` when the sender holding it has
    stopped (``sender_state``), whatever its lease, and audit it; None when there is no such
    claim (sent, failed, or held by a sender that is running or on another machine)."""
    with write_transaction(db):
        held = digests_store.digest_row(db, manager_id, digest_date)
        if held is None or held["status"] != "claimed":
            return None
        if sender_state(held["claimed_by"]) != "stopped":
            return None
        taken = digests_store.take_over_stuck_claim(
            db,
            manager_id=manager_id,
            digest_date=digest_date,
            now=now,
            claimed_by=claimed_by,
            stuck=held["claimed_by"],
        )
        if not taken:
            return None
        audit.record(
            db,
            at=now,
            action="release_digest",
            detail=f"manager {manager_id} {digest_date.isoformat()}: claim of "
            f"{held['claimed_by']} (stopped) taken over",
        )
        return digests_store.digest_row(db, manager_id, digest_date)


def _record_failure(db, guard, error, subject, message_id) -> None:
    digests_store.mark_failed(db, **guard, error=error, subject=subject, message_id=message_id)


def _clock_from(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``now`` and runs at the real rate: claims taken later in a long
    run carry later times, while a test's fixed ``now`` stays the starting point."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
