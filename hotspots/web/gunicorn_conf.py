"""Gunicorn settings for running the service: ``gunicorn -c python:hotspots.web.gunicorn_conf
'hotspots:create_app()'``.

- **No ``Server`` banner.** Gunicorn writes ``Server: gunicorn`` itself, before the app's
  headers, with no setting to turn it off; the response class is wrapped here to leave it
  out. (Behind a reverse proxy, the proxy's own banner is the proxy's to turn off.)
- **Access log lines without case references** (unless ``[security] log_case_refs``), query
  strings or referrers' paths, and with control characters escaped: the app's own reading of
  each path against its URL rules (``hotspots.base.logs.LoggedPaths``).
- **A missing secret key stops the workers at start** (``create_app`` raises), so the
  master exits with that message rather than answering 500.

Other gunicorn settings (``--workers``, ``--bind``) are given on the command line as usual.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gunicorn.glogging import Logger
from gunicorn.http import wsgi

from hotspots.base import logs
from hotspots.base.config import load_config

_default_headers = wsgi.Response.default_headers


def _headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server

_KEEP_CASE_REFS = load_config()["security"]["log_case_refs"]
# The app's own log lines (hotspots.*, flask) go to standard error, escaped.
logs.configure()


class SafeAccessLogger(Logger):
    """Gunicorn's logger with the request line, path, query and referrer made safe, and its
    error log lines' control characters escaped."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(logs.SafeFormatter(self.error_fmt, self.datefmt))

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        raw = environ.get("RAW_URI") or "/"
        path = logs.logged_target(environ, raw, keep_case_refs=_KEEP_CASE_REFS)
        method = logs.escape_control(str(environ.get("REQUEST_METHOD", "-")))
        atoms["r"] = f"{method} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        atoms["U"] = path.partition("?")[0]
        atoms["q"] = "…" if environ.get("QUERY_STRING") else ""
        atoms["f"] = environ.get(logs.ACCESS_REFERRER) or _referrer(
            environ.get("HTTP_REFERER", "-")
        )
        atoms["a"] = logs.escape_control(str(environ.get("HTTP_USER_AGENT", "-")))
        # Headers and environ variables (%({name}i)s …) can hold anything: leave them out.
        return {k: v for k, v in atoms.items() if not k.startswith("{")}


def _referrer(value: str) -> str:
    if value == "-":
        return value
    parts = urlsplit(value)
    path = logs.access_path(parts.path or "/", keep_case_refs=_KEEP_CASE_REFS)
    return logs.escape_control(f"{parts.scheme}://{parts.netloc}{path}")


logger_class = SafeAccessLogger
accesslog = "-"
# Build the app once in the master: a bad setting or a missing secret key stops gunicorn at
# start with its message, rather than workers failing to boot one after another.
preload_app = True
