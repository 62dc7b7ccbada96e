"""Log lines that are safe to write: control characters escaped (so nothing typed into a URL
or a form can forge a log line or colour a terminal); tracebacks without their exceptions'
messages (a message can quote what was sent: a validator's error holds the input, an NHS
number among it); and, unless ``[security] log_case_refs`` is on, no case references in web
access lines.

Which part of a path is a case reference is the URL map's to say: ``LoggedPaths`` matches
each request against the app's rules as it arrives and puts the path to log in the WSGI
environ (``ACCESS_PATH``), with the value of any rule variable called ``case_ref`` replaced
by ``…``. Every route named that way is covered, whoever adds it.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BuildError, Map, RequestRedirect

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\n|\r")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# The URL rule variable that holds a case reference.
CASE_REF_VARIABLE = "case_ref"
MASK = "…"
# The WSGI environ keys LoggedPaths fills in for the access log.
ACCESS_PATH = "hotspots.access_path"
ACCESS_REFERRER = "hotspots.access_referrer"


def escape_control(text: str) -> str:
    """``text`` with every control character (newlines too) written as an escape."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def access_path(
    target: str, *, keep_case_refs: bool, url_map: Map | None = None, method: str = "GET"
) -> str:
    """A request target as an access log should show it: the query string left out (it can
    hold a case reference or a next address), control characters escaped, and, unless
    ``keep_case_refs``, the case reference masked: the value of the ``case_ref`` variable of
    the rule in ``url_map`` the path matches. A path no rule matches, or any path without a
    URL map (a request the app never saw), keeps only its first segment, since nothing says
    which part is which."""
    # Split by hand: urlsplit drops tabs and line breaks, which the log should show escaped.
    path, _, query = target.partition("?")
    path = path.partition("#")[0] or "/"
    if not keep_case_refs:
        path = _masked(path, url_map, method)
    if query:
        path += "?…"
    return escape_control(path)


def _masked(path: str, url_map: Map | None, method: str) -> str:
    found = _match(url_map, path, method) if url_map is not None else None
    if found is None:
        # A path no rule matches (a typo, a probe) may hold anything: only its first
        # segment says what it was aiming at.
        first, slash, rest = path.lstrip("/").partition("/")
        return f"/{first}{slash}{MASK}" if rest else path
    rule, values = found
    if CASE_REF_VARIABLE not in values:
        return path
    masked = _build(url_map, rule, {**values, CASE_REF_VARIABLE: MASK}, method)
    return masked if masked is not None else f"/{path.lstrip('/').partition('/')[0]}/{MASK}"


def _match(
    url_map: Map, path: str, method: str, *, redirects: int = 2
) -> tuple[Any, dict[str, Any]] | None:
    """(rule, values) for the rule ``path`` matches, whatever the method; None for none."""
    adapter = url_map.bind("localhost")
    try:
        return adapter.match(path, method=method, return_rule=True)
    except MethodNotAllowed as e:
        # The path is a route, only not for this method: match it as one it takes.
        for allowed in sorted(e.valid_methods or ()):
            try:
                return adapter.match(path, method=allowed, return_rule=True)
            except HTTPException:
                continue
    except RequestRedirect as e:
        # /cases/N-0001/ without its slash (or with one too many): the redirect's target.
        if redirects:
            return _match(url_map, urlsplit(e.new_url).path, method, redirects=redirects - 1)
    except HTTPException:
        pass
    return None


def _build(url_map: Map, rule: Any, values: dict[str, Any], method: str) -> str | None:
    adapter = url_map.bind("localhost")
    try:
        built = adapter.build(rule.endpoint, values, method=next(iter(rule.methods), method))
    except (BuildError, ValueError):  # then the caller masks all but the first segment
        return None
    return built.replace(quote(MASK), MASK)


class LoggedPaths:
    """WSGI middleware: records in the environ the path (``ACCESS_PATH``) and referrer
    (``ACCESS_REFERRER``) as the access log should show them, matched against ``url_map``
    before the app runs, for the server's access logger to write (``logged_target``)."""

    def __init__(self, app: Callable, url_map: Map, *, keep_case_refs: bool) -> None:
        self.app = app
        self.url_map = url_map
        self.keep_case_refs = keep_case_refs

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET")
        path = str(environ.get("PATH_INFO") or "/")
        query = "?…" if environ.get("QUERY_STRING") else ""
        environ[ACCESS_PATH] = (
            access_path(
                path, keep_case_refs=self.keep_case_refs, url_map=self.url_map, method=method
            )
            + query
        )
        referrer = environ.get("HTTP_REFERER")
        if referrer:
            parts = urlsplit(str(referrer))
            shown = access_path(
                parts.path or "/", keep_case_refs=self.keep_case_refs, url_map=self.url_map
            )
            environ[ACCESS_REFERRER] = escape_control(f"{parts.scheme}://{parts.netloc}") + shown
        return self.app(environ, start_response)


def logged_target(environ: dict[str, Any], raw_target: str, *, keep_case_refs: bool) -> str:
    """The request target for an access log line: the app's own reading of it when the app
    saw the request (``LoggedPaths``), else the raw target with all but its first segment
    masked."""
    return environ.get(ACCESS_PATH) or access_path(raw_target, keep_case_refs=keep_case_refs)


def traceback_without_messages(error: BaseException) -> str:
    """``error``'s traceback, and those of the exceptions it was raised from or while
    handling, as Python prints them, less each exception's message: its type (and SQLite's
    error name) says what failed, the frames where, and nothing quotes the data."""
    chain = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    lines: list[str] = []
    for exc in reversed(chain):
        if lines:
            lines.append("(which led to)")
        lines.append("Traceback (most recent call last):")
        lines += [
            line.rstrip("\n")
            for line in traceback.format_list(traceback.extract_tb(exc.__traceback__))
        ]
        lines.append(f"{exception_name(exc)} (its message is not logged: it may quote data)")
    return "\n".join(lines)


class WithholdMessages(logging.Filter):
    """A filter for a logger whose records may carry an exception: whatever handler formats
    them, the traceback is written without the exceptions' messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = traceback_without_messages(record.exc_info[1])
        return True


def exception_name(error: BaseException) -> str:
    """``sqlite3.OperationalError (SQLITE_IOERR_WRITE)``: what kind of error, without its
    message."""
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    code = getattr(error, "sqlite_errorname", None)
    return f"{name} ({code})" if isinstance(code, str) else name


class SafeFormatter(logging.Formatter):
    """A formatter that escapes control characters in each record's message (a traceback
    after it keeps its own line breaks, and leaves out each exception's message). Colour
    codes (SGR sequences, as Werkzeug's own start-up lines use) are dropped rather than
    escaped: they can only colour text."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return escape_control(_COLOUR.sub("", super().formatMessage(record)))

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return traceback_without_messages(ei[1]) if ei and ei[1] is not None else ""


def configure(level: int = logging.INFO) -> None:
    """Send every log line to standard error through ``SafeFormatter``."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
