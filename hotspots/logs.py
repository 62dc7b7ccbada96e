"""Log lines that are safe to write: control characters escaped (so nothing typed into a URL
or a form can forge a log line or colour a terminal) and, unless ``[security]
log_case_refs`` is on, no case references in web access lines."""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\n|\r")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# Path segments after these hold a case reference.
_CASE_PATH = re.compile(r"^(/(?:cases|api/cases)/)[^/?#]+")


def escape_control(text: str) -> str:
    """``text`` with every control character (newlines too) written as an escape."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def access_path(target: str, *, keep_case_refs: bool) -> str:
    """A request target as an access log should show it: the path with its case reference
    replaced by ``…`` (unless ``keep_case_refs``) and the query string left out (it can hold
    a case reference or a next address), control characters escaped."""
    # Split by hand: urlsplit drops tabs and line breaks, which the log should show escaped.
    path, _, query = target.partition("?")
    path = path.partition("#")[0] or "/"
    if not keep_case_refs:
        path = _CASE_PATH.sub(r"\1…", path)
    if query:
        path += "?…"
    return escape_control(path)


class SafeFormatter(logging.Formatter):
    """A formatter that escapes control characters in each record's message (a traceback
    after it keeps its own line breaks). Colour codes (SGR sequences, as Werkzeug's own
    start-up lines use) are dropped rather than escaped: they can only colour text."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return escape_control(_COLOUR.sub("", super().formatMessage(record)))


def configure(level: int = logging.INFO) -> None:
    """Send every log line to standard error through ``SafeFormatter``."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
