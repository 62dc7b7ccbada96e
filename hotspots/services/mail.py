"""Email: render a message from templates, and send it by a transport with bounded retries.

``make_message(name, to, ctx, templates_dir=…)`` renders ``email/<name>-subject.txt``,
``<name>-body.txt`` and ``<name>-body.html`` (side by side, as healthchecks does) from the
templates folder it is given (the service's is ``hotspots.base.resources.TEMPLATES_DIR``) into one
multipart/alternative ``EmailMessage``.

Transports (``[mail] transport``):

- ``outbox``: writes each message as an ``.eml`` file into ``[mail] outbox_dir``;
- ``smtp``: sends through ``[mail] smtp_host``/``smtp_port`` with ``smtp_security``
  ``starttls``, ``ssl`` or ``none``, logging in when ``smtp_username`` is set (the password
  comes only from ``HOTSPOTS_MAIL__SMTP_PASSWORD``).

``send_with_retries`` retries temporary failures (connection refused or reset, timeouts,
SMTP 4xx answers) with exponential backoff, at most ``[mail] max_attempts`` times; a
permanent failure (SMTP 5xx, a bad configuration) is raised at once.
"""

from __future__ import annotations

import email.policy
import functools
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

import jinja2

from hotspots.base import files

# Lines up to RFC 5322's hard limit of 998 characters: with the usual 78, Python folds a
# subject of some lengths onto a line of its own, which mail readers show with a leading space.
MESSAGE_POLICY = email.policy.default.clone(max_line_length=998)


class MailError(Exception):
    """Sending failed; ``temporary`` says whether trying again later may succeed."""

    temporary = False


class TemporaryMailError(MailError):
    temporary = True


class PermanentMailError(MailError):
    temporary = False


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def environment(templates_dir: str | os.PathLike) -> jinja2.Environment:
    """The Jinja2 environment for emails from ``templates_dir``: HTML autoescaped, undefined
    names an error (a typo must not send an email with a hole in it). One per folder, made
    once."""
    return _environment(str(Path(templates_dir).resolve()))


@functools.cache
def _environment(templates_dir: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["signed"] = _signed
    env.filters["long_date"] = _long_date
    env.filters["short_date"] = _short_date
    return env


def render(
    template_name: str, ctx: Mapping[str, Any], *, templates_dir: str | os.PathLike
) -> tuple[str, str, str]:
    """(subject, text, html) for ``<templates_dir>/email/<template_name>-…``."""
    env = environment(templates_dir)
    subject = env.get_template(f"email/{template_name}-subject.txt").render(ctx)
    text = env.get_template(f"email/{template_name}-body.txt").render(ctx)
    html = env.get_template(f"email/{template_name}-body.html").render(ctx)
    return " ".join(subject.split()), text, html


def make_message(
    template_name: str,
    to: str,
    ctx: Mapping[str, Any],
    *,
    templates_dir: str | os.PathLike,
    sender: str = "",
    message_id: str | None = None,
    date=None,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) rendered from the
    ``template_name`` templates in ``templates_dir`` with ``ctx``. ``message_id`` defaults to
    a random one; ``date`` (an aware datetime) fills the Date header when given."""
    subject, text, html = render(template_name, ctx, templates_dir=templates_dir)
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = message_id or make_msgid(domain=_domain(sender))
    if date is not None:
        message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip("> ") or "localhost"


class OutboxTransport:
    """Writes each message to ``<outbox_dir>/<file name from its Message-ID>.eml``; the file
    appears whole (written to a temporary name, then renamed)."""

    def __init__(self, outbox_dir: str | os.PathLike):
        self.outbox_dir = Path(outbox_dir)

    def path_for(self, message_id: str) -> Path:
        return self.outbox_dir / outbox_file_name(message_id)

    def send(self, message: EmailMessage) -> None:
        try:
            files.private_dir(self.outbox_dir)
            path = self.path_for(message["Message-ID"])
            partial = path.with_suffix(f".{os.getpid()}.partial")
            files.write_private(partial, bytes(message))
            os.replace(partial, path)
        except OSError as e:
            raise PermanentMailError(f"cannot write to outbox {self.outbox_dir}: {e}") from None


def outbox_file_name(message_id: str) -> str:
    """``<digest-2026-11-26-3@example.gov.uk>`` -> ``digest-2026-11-26-3@example.gov.uk.eml``."""
    return re.sub(r"[^A-Za-z0-9@._-]", "_", message_id.strip("<> ")) + ".eml"


class SmtpTransport:
    """One SMTP connection per message (digests are few; a connection per send keeps
    failures independent)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 30,
    ):
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"smtp security must be starttls, ssl or none, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, message: EmailMessage) -> None:
        try:
            if self.security == "ssl":
                context = ssl.create_default_context()
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            detail = "; ".join(f"{code} {_text(msg)}" for code, msg in e.recipients.values())
            raise _by_code(min(codes), f"recipient refused: {detail}") from None
        except smtplib.SMTPResponseException as e:
            raise _by_code(e.smtp_code, f"SMTP {e.smtp_code} {_text(e.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as e:
            raise PermanentMailError(f"SMTP server {self.host}: {e}") from None
        except smtplib.SMTPServerDisconnected as e:
            raise TemporaryMailError(f"SMTP server {self.host} disconnected: {e}") from None
        except ssl.SSLError as e:
            raise PermanentMailError(f"TLS with {self.host}:{self.port} failed: {e}") from None
        except TimeoutError:
            raise TemporaryMailError(f"SMTP server {self.host}:{self.port} timed out") from None
        except socket.gaierror as e:
            raise TemporaryMailError(f"cannot resolve SMTP host {self.host}: {e}") from None
        except OSError as e:  # refused, reset, unreachable
            raise TemporaryMailError(
                f"cannot reach SMTP server {self.host}:{self.port}: {e.strerror or e}"
            ) from None


def _by_code(code: int, text: str) -> MailError:
    return TemporaryMailError(text) if 400 <= code < 500 else PermanentMailError(text)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def transport_from_settings(mail: Mapping[str, Any]) -> Transport:
    """The transport ``[mail]`` names."""
    if mail["transport"] == "outbox":
        return OutboxTransport(mail["outbox_dir"])
    return SmtpTransport(
        mail["smtp_host"],
        mail["smtp_port"],
        security=mail["smtp_security"],
        username=mail["smtp_username"],
        password=mail.get("smtp_password", ""),
        timeout=mail["smtp_timeout_seconds"],
    )


def send_with_retries(
    message: EmailMessage,
    transport: Transport,
    *,
    max_attempts: int,
    backoff_seconds: float,
    before_attempt: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send ``message``, retrying temporary failures after ``backoff_seconds``, then twice
    that, and so on, at most ``max_attempts`` attempts in all. Returns the number of attempts
    made. Raises PermanentMailError at once on a permanent failure, and the last
    TemporaryMailError when the attempts run out. ``before_attempt(n)`` runs before attempt
    ``n`` (1-based) and may raise to stop (e.g. the digest's claim was lost)."""
    attempts = max(1, max_attempts)
    for attempt in range(1, attempts + 1):
        if before_attempt is not None:
            before_attempt(attempt)
        try:
            transport.send(message)
            return attempt
        except TemporaryMailError as e:
            if attempt == attempts:
                raise TemporaryMailError(f"{e} (gave up after {attempt} attempts)") from None
            sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _signed(value: float | None) -> str:
    """A trend as text: +3.5, −1.0, 0.0; ``–`` when unknown."""
    if value is None:
        return "–"
    if value > 0:
        return f"+{value:.1f}"
    if value < 0:
        return f"−{abs(value):.1f}"
    return "0.0"


def _long_date(value) -> str:
    """2026-11-26 -> Thursday 26 November 2026."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%A} {value.day} {value:%B %Y}"


def _short_date(value) -> str:
    """2026-11-26 -> 26 Nov 2026."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}"
