"""/admin/import: an admin loads any of the six kinds of file from the browser.

Upload → the file is kept under a random name in the instance folder and a dry run checks it
(nothing changes) → the page shows the report → "Import this file" imports it for real (or
"Cancel" discards it). The same ``hotspots.services.importer`` does the work as on the command line:
all or nothing, every error listed, the report kept with the audit record (the admin as the
actor), changed cases rescored at once.

The upload's size is limited before the body is read (``[import.upload] max_mb``); the CSRF
token is checked by the form itself, after that limit is set, rather than by the global
CSRF check, which would read the whole body first. Uploaded files are deleted once imported
or cancelled, and any left waiting longer than ``keep_minutes`` on the next upload.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import time
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from hotspots.base.files import files_older_than, upload_folder
from hotspots.services.importer import (
    KIND_CLASSES,
    ImportRejected,
    ImportReport,
    import_file,
    stored_report,
)
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import ImportConfirmForm, ImportUploadForm, error_list
from hotspots.web.pages import csrf

bp = Blueprint("imports", __name__, url_prefix="/admin/import")

SESSION_KEY = "import_upload"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


def _kinds() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every kind the importer knows, with its title and file name endings, for the form."""
    return {name: (kind.title, kind.suffixes) for name, kind in KIND_CLASSES.items()}


def _folder() -> Path:
    folder = upload_folder(current_app.instance_path, settings())
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _limit_mb() -> int:
    return settings()["import"]["upload"]["max_mb"]


@bp.route("", methods=["GET", "POST"])
@csrf.exempt  # the form checks its CSRF token itself, once the size limit is in place
@login_required
@role_required("admin")
def upload():
    """Choose a kind and a file; a POST checks it with a dry run and shows the report."""
    request.max_content_length = _limit_mb() * 1_000_000 + FORM_OVERHEAD_BYTES
    try:
        form = ImportUploadForm(kinds=_kinds())
    except RequestEntityTooLarge:
        form = ImportUploadForm(formdata=None, kinds=_kinds())
        form.upload.errors = [f"The file must be smaller than {_limit_mb()} MB"]
        return _upload_page(form, status=413)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _upload_page(form, status=status)
    _discard_stale(_folder())
    _discard(session.pop(SESSION_KEY, None))
    token = secrets.token_urlsafe(24)
    kind = form.kind.data
    file_name = Path(form.upload.data.filename or "upload").name
    path = _folder() / f"{token}{KIND_CLASSES[kind].suffixes[0]}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as target:
        form.upload.data.save(target)
    try:
        report = _run(kind, path, file_name, dry_run=True)
    except ImportRejected as e:
        path.unlink(missing_ok=True)
        return _report_page(e.report, form=None, status=422)
    session[SESSION_KEY] = {"token": token, "kind": kind, "file_name": file_name}
    return _report_page(report, form=ImportConfirmForm(token=token))


@bp.route("/confirm", methods=["POST"])
@login_required
@role_required("admin")
def confirm():
    """Import the file the dry run checked (or discard it, on Cancel)."""
    form = ImportConfirmForm()
    waiting = session.get(SESSION_KEY)
    if (
        not form.validate_on_submit()
        or not waiting
        or not TOKEN.match(form.token.data or "")
        or not secrets.compare_digest(form.token.data, waiting["token"])
    ):
        flash("That upload has expired or was already imported: upload the file again.", "info")
        return redirect(url_for("imports.upload"))
    session.pop(SESSION_KEY)
    path = _path_of(waiting)
    if form.cancel.data:
        _discard(waiting)
        flash(f"{waiting['file_name']} was not imported.", "info")
        return redirect(url_for("imports.upload"))
    if not path.exists():
        flash("That upload has expired: upload the file again.", "info")
        return redirect(url_for("imports.upload"))
    try:
        report = _run(waiting["kind"], path, waiting["file_name"], dry_run=False)
    except ImportRejected as e:
        # The data changed since the dry run, so that the file no longer imports cleanly.
        return _report_page(e.report, form=None, status=422)
    finally:
        path.unlink(missing_ok=True)
    return _report_page(report, form=None)


@bp.route("/reports/<int:audit_id>")
@login_required
@role_required("admin")
def report(audit_id: int):
    """The report kept with an import's audit record (linked from the audit log)."""
    found = stored_report(get_db(), audit_id)
    if found is None:
        abort(404)
    return _report_page(found["report"], form=None, kept=found)


def _run(kind: str, path: Path, file_name: str, *, dry_run: bool) -> ImportReport:
    now = clock()
    try:
        return import_file(
            get_db(),
            settings(),
            kind,
            path,
            as_of=now.date(),
            now=now,
            dry_run=dry_run,
            actor=current_user,
            file_name=file_name,
        )
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            raise
        report = ImportReport(kind, KIND_CLASSES[kind].title, file_name, outcome="rejected")
        report.errors = [
            "The database is busy (another import, rescore or digest run is writing):"
            " nothing was imported; try again in a minute."
        ]
        report.error_total = 1
        raise ImportRejected(file_name, report.errors, 1, report) from None


def _upload_page(form: ImportUploadForm, *, status: int = 200):
    return (
        render_template(
            "imports/upload.html",
            form=form,
            errors=error_list(form),
            kinds=KIND_CLASSES.values(),
            limit_mb=_limit_mb(),
        ),
        status,
    )


def _report_page(
    report: ImportReport,
    *,
    form: ImportConfirmForm | None,
    status: int = 200,
    kept: dict | None = None,
):
    """The report page: just after an upload or an import, or ``kept`` (with who ran it and
    when) from the audit record."""
    errors = []
    if report.outcome == "rejected" and kept is None:
        noun = "error" if report.error_total == 1 else "errors"
        errors = [{"text": f"The file has {report.error_total} {noun}: nothing was imported",
                   "href": "#file-errors"}]  # fmt: skip
    return (
        render_template(
            "imports/report.html",
            report=report,
            confirm=form,
            errors=errors,
            kept=kept,
        ),
        status,
    )


def _path_of(waiting: dict) -> Path:
    token, kind = waiting.get("token", ""), waiting.get("kind", "")
    if not TOKEN.match(token) or kind not in KIND_CLASSES:
        raise ValueError("not an upload token")
    return _folder() / f"{token}{KIND_CLASSES[kind].suffixes[0]}"


def _discard(waiting: dict | None) -> None:
    if waiting:
        try:
            _path_of(waiting).unlink(missing_ok=True)
        except ValueError:
            pass


def _discard_stale(folder: Path) -> None:
    """Delete uploads nobody confirmed or cancelled within ``keep_minutes``."""
    cutoff = time.time() - settings()["import"]["upload"]["keep_minutes"] * 60
    for path in files_older_than(folder, cutoff):
        path.unlink(missing_ok=True)
