"""/admin/import: an admin uploads any of the six kinds, reads the dry run's report, and
imports on confirmation; size limit, CSRF, audit, error summary, uploads cleaned up."""

from __future__ import annotations

import io
import json
import os
import re
import time

import browser_support as world
import pytest
import xlwt
from browser_support import audit_rows, count, csrf_token, email, sign_in
from openpyxl import Workbook

STAFF_CSV = b"""email,name,role,team
new.worker@example.org,Nia New,worker,North Team
"""


def annex_a_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "List 7"
    sheet.append(
        [
            "Child Unique ID",
            "Date of Birth",
            "Child Protection Plan Start Date",
            "Date of the Last Statutory Visit",
            "Child Protection Plan End Date",
            "Number of Previous Child Protection Plans",
            "Allocated Team",
            "Allocated Worker",
        ]
    )
    sheet.append(
        [7310000, "01/06/2025", "09/02/2026", "20/02/2026", None, 1, "North Team", "Bob Worker"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def app(db_path, tmp_path):
    app = world.make_app(db_path, tmp_path)
    app.config["SETTINGS"]["import"]["upload"]["folder"] = str(tmp_path / "uploads")
    return app


@pytest.fixture
def admin(client, ids):
    sign_in(client, "ada")
    return client


def upload(client, kind, content, name):
    data = {"kind": kind, "upload": (io.BytesIO(content), name)}
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def token_of(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def upload_folder(app) -> str:
    return os.path.join(app.instance_path, app.config["SETTINGS"]["import"]["upload"]["folder"])


def uploads(app) -> list[str]:
    folder = upload_folder(app)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_only_an_admin_sees_the_import_page(client, ids):
    sign_in(client, "meg")
    assert client.get("/admin/import").status_code == 403
    assert client.post("/admin/import").status_code == 403


def test_the_import_page_offers_all_six_kinds_of_file(admin):
    page = admin.get("/admin/import").get_data(as_text=True)

    for label in (
        "Staff (CSV)",
        "Cases (CSV)",
        "Observations (CSV)",
        "Enquiries (CSV)",
        "Ofsted Annex A workbook (.xlsx, .xlsm, .xls)",
        "Children in need census (.xml)",
    ):
        assert label in page
    assert 'type="file"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Import data" in page  # the navigation's link for admins


def test_an_upload_shows_the_dry_run_report_and_changes_nothing(admin, db, app):
    before = count(db, "staff")

    response = upload(admin, "staff", STAFF_CSV, "staff.csv")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Check the import of staff.csv" in page
    assert "What importing it would change" in page
    assert re.search(r'<dt class="govuk-summary-list__key">New</dt>\s*<dd[^>]*>1</dd>', page)
    assert "Import this file" in page
    assert count(db, "staff") == before
    (dry_run,) = audit_rows(db, "import_dry_run")
    assert dry_run["actor_email"] == email("ada")
    assert len(uploads(app)) == 1


def test_confirming_imports_the_checked_file_audits_it_and_deletes_the_upload(admin, db, app):
    page = upload(admin, "staff", STAFF_CSV, "staff.csv").get_data(as_text=True)

    response = admin.post("/admin/import/confirm", data={"token": token_of(page), "submit": "y"})

    result = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "staff.csv is imported" in result
    assert db.execute("SELECT name FROM staff WHERE email = 'new.worker@example.org'").fetchone()
    (imported,) = audit_rows(db, "import")
    assert imported["actor_email"] == email("ada")
    assert json.loads(imported["detail"])["new"] == 1
    report = db.execute("SELECT report FROM import_reports ORDER BY audit_id DESC").fetchone()[0]
    assert json.loads(report)["outcome"] == "imported"
    assert uploads(app) == []


def test_an_annex_a_workbook_imports_from_the_browser_and_is_scored(admin, db):
    page = upload(admin, "annex-a", annex_a_bytes(), "Annex A.xlsx").get_data(as_text=True)
    assert re.search(
        r'<dt class="govuk-summary-list__key">Cases created</dt>\s*<dd[^>]*>1</dd>', page
    )

    admin.post("/admin/import/confirm", data={"token": token_of(page), "submit": "y"})

    case_id = db.execute("SELECT id FROM cases WHERE case_ref = '7310000'").fetchone()[0]
    assert db.execute("SELECT count(*) FROM scores WHERE case_id = ?", [case_id]).fetchone()[0]
    # The workbook holds no names: the case page shows the child's age without initials.
    case_page = admin.get("/cases/7310000").get_data(as_text=True)
    caption = re.search(r'<span class="govuk-caption-l">([^<]*)</span>', case_page).group(1)
    assert caption.strip() and not caption.startswith(",")


def test_cancelling_imports_nothing_and_deletes_the_upload(admin, db, app):
    page = upload(admin, "staff", STAFF_CSV, "staff.csv").get_data(as_text=True)

    response = admin.post(
        "/admin/import/confirm",
        data={"token": token_of(page), "cancel": "y"},
        follow_redirects=True,
    )

    assert "staff.csv was not imported." in response.get_data(as_text=True)
    assert not db.execute("SELECT 1 FROM staff WHERE email = 'new.worker@example.org'").fetchone()
    assert uploads(app) == []


def test_a_confirmation_with_another_token_imports_nothing(admin, db):
    upload(admin, "staff", STAFF_CSV, "staff.csv")

    response = admin.post(
        "/admin/import/confirm",
        data={"token": "A" * 32, "submit": "y"},
        follow_redirects=True,
    )

    assert "upload the file again" in response.get_data(as_text=True)
    assert audit_rows(db, "import") == []


def test_a_file_with_errors_shows_the_error_summary_and_every_error(admin, db, app):
    response = upload(admin, "annex-a", b"Child Unique ID,Date of Birth\n1,2020-01-01\n", "a.xlsx")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "govuk-error-summary" in page
    assert 'href="#file-errors"' in page
    assert "The file has 1 error: nothing was imported" in page
    assert "this is not an Excel workbook (.xlsx, .xlsm or .xls): it looks like a CSV" in page
    assert "<title>Error: " in page
    assert "Import this file" not in page
    assert uploads(app) == []
    assert audit_rows(db, "import_rejected")[0]["actor_email"] == email("ada")


def test_a_file_whose_name_does_not_fit_its_kind_is_refused_before_it_is_read(admin, app):
    response = upload(admin, "cin-census", STAFF_CSV, "staff.csv")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The file must be a .xml file for Children in need census (.xml)" in page
    assert uploads(app) == []


def test_choosing_nothing_lists_both_problems(admin):
    response = admin.post("/admin/import", data={}, content_type="multipart/form-data")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#kind"' in page
    assert "Choose what kind of file it is" in page
    assert 'href="#upload"' in page
    assert "Choose the file to upload" in page


def test_a_file_over_the_size_limit_is_refused_unread(admin, app):
    app.config["SETTINGS"]["import"]["upload"]["max_mb"] = 1

    response = upload(admin, "observations", b"x" * 1_200_000, "big.csv")

    assert response.status_code == 413
    assert "The file must be smaller than 1 MB" in response.get_data(as_text=True)
    assert uploads(app) == []


def test_uploads_left_unconfirmed_are_deleted_after_the_keep_time(admin, app):
    upload(admin, "staff", STAFF_CSV, "staff.csv")
    (old,) = uploads(app)
    folder = upload_folder(app)
    an_hour_ago = time.time() - 61 * 60
    os.utime(os.path.join(folder, old), (an_hour_ago, an_hour_ago))

    upload(admin, "staff", STAFF_CSV, "staff.csv")

    assert old not in uploads(app)
    assert len(uploads(app)) == 1


def test_an_upload_without_the_csrf_token_is_refused(db_path, tmp_path):
    app = world.make_app(db_path, tmp_path, csrf=True)
    app.config["SETTINGS"]["import"]["upload"]["folder"] = str(tmp_path / "uploads")
    db = world.storage.connect(db_path)
    world.build_world(db, app.config["SETTINGS"])
    client = app.test_client()
    sign_in(client, "ada")

    response = upload(client, "staff", STAFF_CSV, "staff.csv")

    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert audit_rows(db, "import_dry_run") == []
    page = client.get("/admin/import").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "kind": "staff"}
    data["upload"] = (io.BytesIO(STAFF_CSV), "staff.csv")
    ok = client.post("/admin/import", data=data, content_type="multipart/form-data")
    assert ok.status_code == 200
    db.close()


def test_the_audit_log_links_each_import_to_its_kept_report(admin, db):
    upload(admin, "annex-a", b"not a workbook", "a.xlsx")
    (rejected,) = db.execute("SELECT id FROM audit_log WHERE action = 'import_rejected'").fetchall()

    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert f'href="/admin/import/reports/{rejected[0]}"' in audit
    page = admin.get(f"/admin/import/reports/{rejected[0]}").get_data(as_text=True)

    assert "Import report: a.xlsx" in page
    assert "Not imported: the file had errors." in page
    assert f"by {email('ada')}" in page
    assert "this is not an Excel workbook (.xlsx, .xlsm or .xls)" in page
    assert "Import this file" not in page


def test_a_report_that_does_not_exist_is_not_found(admin):
    assert admin.get("/admin/import/reports/99999").status_code == 404


def test_a_file_of_exactly_the_upload_limit_is_checked_not_refused(admin, app):
    app.config["SETTINGS"]["import"]["upload"]["max_mb"] = 1
    header = b"id,case_ref,indicator,observed_on,source,recorded_by,status,note\n"
    content = header + b"x" * (1_000_000 - len(header))

    response = upload(admin, "observations", content, "exactly.csv")

    assert response.status_code == 422  # read and checked: the file has errors
    assert "exactly.csv was not imported" in response.get_data(as_text=True)


def xls_bytes(rows) -> bytes:
    """An old-style .xls workbook with one sheet, List_7, of ``rows``."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("List_7")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


LIST_7 = ["Child ID", "DOB", "Child Protection Plan Start Date", "Date of Last Statutory Visit",
          "Child Protection Plan End Date", "Allocated Team", "Allocated Worker"]  # fmt: skip


@pytest.mark.parametrize("name", ["Annex A.xls", "Annex A.xlsm"])
def test_an_old_style_or_macro_workbook_uploads_and_imports(admin, db, name):
    content = xls_bytes([LIST_7, ["7310009", "23 Nov 2024", "22-Jan-2026", "23/02/26", None,
                                  "North Team", "TBC"]])  # fmt: skip
    if name.endswith(".xlsm"):
        content = annex_a_bytes()

    page = upload(admin, "annex-a", content, name).get_data(as_text=True)

    assert "Check the import of " + name in page
    admin.post("/admin/import/confirm", data={"token": token_of(page), "submit": "y"})
    assert (
        db.execute(
            "SELECT count(*) FROM cases WHERE case_ref IN ('7310009', '7310000')"
        ).fetchone()[0]
        == 1
    )


def test_the_report_page_shows_what_the_import_decided_and_its_warnings(admin, db):
    rows = [LIST_7, ["7310009", "Unborn", "22-Jan-2026", "Unknown", None, "Great Yarmouth",
                     "Awaiting Allocation"]]  # fmt: skip

    page = upload(admin, "annex-a", xls_bytes(rows), "Annex A.xls").get_data(as_text=True)

    assert "Decided (counted, not errors)" in page
    assert "unborn children (pre-birth cases)" in page
    assert "values read as not known (List 7, Date of Last Statutory Visit)" in page
    assert "placeholder workers read as unallocated (&#39;Awaiting Allocation&#39;)" in page
    assert re.search(r'id="import-warnings"[^>]*>\s*\d+ warnings?: check th', page)
    assert "Team &#39;Great Yarmouth&#39; has no manager, so no digest goes out" in page


def test_an_unborn_child_imported_shows_as_unborn_and_due_on_its_case_page(admin, db):
    rows = [LIST_7, ["7310009", "10/05/2026", "22-Jan-2026", None, None, "North Team", None]]
    page = upload(admin, "annex-a", xls_bytes(rows), "Annex A.xls").get_data(as_text=True)
    admin.post("/admin/import/confirm", data={"token": token_of(page), "submit": "y"})

    case_page = admin.get("/cases/7310009").get_data(as_text=True)

    caption = re.search(r'<span class="govuk-caption-l">([^<]*)</span>', case_page).group(1)
    assert caption.strip() == "unborn, due 10 May 2026"
