"""``hotspots run``: the web app on Werkzeug's server, for local development and trials.

It differs from ``flask run`` in what a security review looks for: it will not start without
a secret key, sends no ``Server`` banner, and its access log lines carry no case references
(``[security] log_case_refs``) and no raw control characters.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import WSGIRequestHandler, run_simple

from hotspots.base import logs
from hotspots.base.config import ConfigError
from hotspots.web.app import check_secret_key


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the ``Server`` header, logging paths safely."""

    keep_case_refs = False

    def send_response(self, code, message=None):
        # BaseHTTPRequestHandler.send_response, less the Server header.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_request(self, code="-", size="-") -> None:
        target = getattr(self, "path", None)
        if target is None:
            line = logs.escape_control(self.requestline)
        else:
            environ = getattr(self, "environ", None) or {}
            path = logs.logged_target(environ, target, keep_case_refs=self.keep_case_refs)
            line = f"{self.command} {path} {self.request_version}"
        self.log("info", '"%s" %s %s', line, code, size)


def handler_for(settings) -> type[QuietRequestHandler]:
    return type(
        "Handler",
        (QuietRequestHandler,),
        {"keep_case_refs": settings["security"]["log_case_refs"]},
    )


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the web app on Werkzeug's server (local development and trials).

    For a council's service run the app under a WSGI server such as gunicorn (see
    docs/operations.md). Refuses to start without a secret key. Serving over plain HTTP
    needs [security] https_only set false (`make run` does), or browsers other than on
    localhost drop the Secure session cookie.

    Example:

        HOTSPOTS_SECURITY__HTTPS_ONLY=false hotspots run --host 127.0.0.1 --port 5000
    """
    app = current_app._get_current_object()
    try:
        check_secret_key(app)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    logs.configure()
    run_simple(
        host,
        port,
        app,
        threaded=True,
        request_handler=handler_for(app.config["SETTINGS"]),
    )


commands = [run_command]
