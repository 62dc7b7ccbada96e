"""A small invented authority for the web interface's tests (test client and browser alike):
two teams, their staff with known passwords, cases with observations, scored on a fixed day.

Everything is written to a real SQLite file; scores come from the real rescoring code.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hotspots import create_app, storage
from hotspots.services import rescoring
from hotspots.services.passwords import hash_password
from hotspots.storage import scores as scores_sql
from hotspots.storage.schema import migrate

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/London"))
TODAY = NOW.date()
PASSWORD = "lantern orchard ribbon 47"
_HASH = hash_password(PASSWORD)  # one argon2 hash for every test user (hashing is slow)

STAFF = {
    # key: (email, name, role, team key)
    "ann": ("ann.worker@example.org", "Ann Worker", "worker", "north"),
    "bob": ("bob.worker@example.org", "Bob Worker", "worker", "north"),
    "meg": ("meg.manager@example.org", "Meg Manager", "manager", "north"),
    "cat": ("cat.worker@example.org", "Cat Worker", "worker", "south"),
    "sam": ("sam.manager@example.org", "Sam Manager", "manager", "south"),
    "ada": ("ada.admin@example.org", "Ada Admin", "admin", None),
}

# case_ref: (worker key or None, team, date of birth, opened days ago, last visit days ago,
#            [(indicator, observed days ago)], enquiries [(topic, asked days ago)])
CASES = {
    "N-0001": ("ann", "north", "2025-09-14", 200, 3,
               [("previous_injury", 20), ("domestic_abuse", 10), ("parental_conflict", 5)],
               [("domestic_abuse", 150)]),
    "N-0002": ("ann", "north", "2023-01-05", 400, 40, [("missed_appointments", 30)],
               [("domestic_abuse", 300), ("parental_childhood", 300)]),
    "N-0003": ("ann", "north", "2019-06-30", 90, 10, [], []),
    "N-0004": ("bob", "north", "2025-12-01", 60, 2,
               [("new_partner", 3), ("substance_misuse", 40)], []),
    "N-0005": (None, "north", "2024-04-04", 30, None, [("police_callout", 12)], []),
    "S-0001": ("cat", "south", "2025-07-07", 100, 5,
               [("previous_injury", 2), ("feeding_difficulties", 9)], []),
}  # fmt: skip


def make_app(db_path, tmp_path, *, csrf: bool = False, now: datetime | None = NOW, **flask):
    """The app on a migrated database file, its clock fixed at ``now``."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": csrf,
        "HOTSPOTS_NOW": now,
        "database": {"path": str(db_path)},
        # Bands and the points these tests add up by hand pinned here, so recalibrating
        # config.toml leaves these tests be (the calibration has tests of its own).
        "scoring": {
            "red_threshold": 14.0,
            "amber_threshold": 7.0,
            "practice_gaps": {"no_domestic_abuse_enquiry": 3.0},
        },
        "mail": {"transport": "outbox", "outbox_dir": str(tmp_path / "outbox")},
        **flask,
    }
    app = create_app(config)
    # The test's own instance folder (uploads, a key file), never the checkout's.
    app.instance_path = str(tmp_path / "instance")
    db = storage.connect(db_path)
    migrate(db)
    db.close()
    return app


def build_world(db, settings, *, today: date = TODAY, now: datetime = NOW) -> dict[str, Any]:
    """Insert the teams, staff and cases above; score them a week ago and today (so trends
    and sparklines have history). Returns ids: {"teams": {...}, "staff": {...}, "cases": {...}}."""
    teams = {}
    for key, name in (("north", "North Team"), ("south", "South Team")):
        teams[key] = db["teams"].insert({"name": name}).last_pk
    staff = {}
    for key, (email, name, role, team) in STAFF.items():
        staff[key] = (
            db["staff"]
            .insert(
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "team_id": teams[team] if team else None,
                    "password_hash": _HASH,
                }
            )
            .last_pk
        )
    cases = {}
    for ref, (worker, team, born, opened, visited, observations, enquiries) in CASES.items():
        case_id = (
            db["cases"]
            .insert(
                {
                    "case_ref": ref,
                    "initials": f"{ref[0]}{chr(64 + int(ref[-1]))}",  # NA, NB, … SA
                    "date_of_birth": born,
                    "team_id": teams[team],
                    "worker_id": staff[worker] if worker else None,
                    "opened_on": (today - timedelta(days=opened)).isoformat(),
                    "visit_every_days": 14,
                    "last_visit_on": (today - timedelta(days=visited)).isoformat()
                    if visited is not None
                    else None,
                    "status": "open",
                }
            )
            .last_pk
        )
        cases[ref] = case_id
        for n, (indicator, days_ago) in enumerate(observations):
            db["observations"].insert(
                {
                    "external_id": f"test:{ref}:{n}",
                    "case_id": case_id,
                    "indicator": indicator,
                    "observed_on": (today - timedelta(days=days_ago)).isoformat(),
                    "source": "police",
                    "status": "current",
                    "note": "",
                    "recorded_at": (now - timedelta(days=days_ago)).isoformat(),
                }
            )
        for topic, days_ago in enquiries:
            db["enquiries"].insert(
                {
                    "case_id": case_id,
                    "topic": topic,
                    "asked_on": (today - timedelta(days=days_ago)).isoformat(),
                    "outcome": "not_disclosed",
                    "recorded_at": (now - timedelta(days=days_ago)).isoformat(),
                }
            )
    week_ago = today - timedelta(days=7)
    rescoring.rescore_all(db, settings, as_of=week_ago, now=now - timedelta(days=7))
    rescoring.rescore_all(db, settings, as_of=today, now=now)
    return {"teams": teams, "staff": staff, "cases": cases}


def email(key: str) -> str:
    return STAFF[key][0]


def sign_in(client, key: str, password: str = PASSWORD):
    """Sign in through the form (with its CSRF token when the app checks them)."""
    page = client.get("/login")
    data = {"email": email(key), "password": password}
    token = csrf_token(page.get_data(as_text=True))
    if token:
        data["csrf_token"] = token
    return client.post("/login", data=data)


def csrf_token(html: str) -> str | None:
    found = re.search(r'name="(?:[\w-]+-)?csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else None


def score_row(db, case_id: int) -> dict[str, Any]:
    """The case's score, band and rank in its caseload, read as the product reads them."""
    row = storage.fetch_one(db, scores_sql.SELECT_SCORE_SQL, {"case_id": case_id})
    return {"score": row["score"], "band": row["band"], "rank": row["rank"]}


def audit_rows(db, action: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT actor_email, action, case_ref, detail FROM audit_log ORDER BY id"
    rows = [
        dict(zip(("actor_email", "action", "case_ref", "detail"), r, strict=True))
        for r in db.execute(sql).fetchall()
    ]
    return [r for r in rows if action is None or r["action"] == action]


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]  # noqa: S608 (tests)
