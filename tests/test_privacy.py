"""The register of personal data the privacy notice is written from accounts for every column
of the schema."""

from __future__ import annotations

from hotspots import storage
from hotspots.model import privacy
from hotspots.storage.schema import migrate


def schema_columns(path) -> list[str]:
    db = storage.connect(path)
    migrate(db)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        f"{table}.{row[1]}"
        for table in tables
        for row in db.execute(f"PRAGMA table_info([{table}])")  # noqa: S608 (names from SQLite)
    ]


def test_every_column_is_in_the_register_or_known_to_hold_nothing_personal(tmp_path):
    columns = schema_columns(tmp_path / "schema.db")
    assert privacy.unaccounted(columns) == [], (
        "say in hotspots/model/privacy.py what these hold (the privacy notice is written from it)"
    )


def test_the_register_names_only_columns_that_exist(tmp_path):
    columns = set(schema_columns(tmp_path / "schema.db"))
    named = {c for held in privacy.REGISTER for c in held.columns}
    assert named - columns == set()
    wholly = {c.split(".")[0] for c in privacy.NOT_PERSONAL if c.endswith(".*")}
    listed = {c for c in privacy.NOT_PERSONAL if not c.endswith(".*")}
    assert listed - columns == set()
    assert wholly <= {c.split(".")[0] for c in columns}


def test_a_new_column_about_a_child_is_caught():
    assert privacy.unaccounted(["cases.mother_name", "cases.case_ref"]) == ["cases.mother_name"]
