"""The demo's follow-through (reviews, agreed actions, disagreements), and what the demo
manager's digest then says needs them today."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots import storage
from hotspots.services.demo import SIGN_IN, load_demo
from hotspots.services.demo_followup import add_follow_through
from hotspots.services.sending import gather_digest, managers
from hotspots.storage.schema import migrate

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=ZoneInfo("Europe/London"))


def scored_demo(path, settings, seed=5, cases=300):
    db = storage.connect(path)
    migrate(db)
    load_demo(db, settings, cases=cases, seed=seed, as_of=AS_OF, now=NOW, password_hash="x")
    return db


def dump(db):
    return [
        db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
        for table in ("reviews", "review_contributions", "actions")
    ]


def test_the_same_seed_and_day_give_the_same_follow_through(tmp_path, settings):
    first, second = (
        scored_demo(tmp_path / "a.db", settings),
        scored_demo(tmp_path / "b.db", settings),
    )
    assert add_follow_through(first, seed=5, as_of=AS_OF) == add_follow_through(
        second, seed=5, as_of=AS_OF
    )
    assert dump(first) == dump(second)


def test_only_hotspots_are_reviewed_by_their_team_with_actions_in_every_state(tmp_path, settings):
    db = scored_demo(tmp_path / "demo.db", settings, seed=6, cases=600)  # 27 hotspots
    made = add_follow_through(db, seed=6, as_of=AS_OF)
    assert made.reviews > 5 and 0 < made.disagreements < made.reviews
    assert (
        db.execute(
            "SELECT count(*) FROM reviews v JOIN scores s ON s.case_id = v.case_id "
            "WHERE s.band <> 'red' OR v.band <> 'red'"
        ).fetchone()[0]
        == 0
    )
    # Every action's owner is a member of its case's team; the reviews are all in the past.
    strangers = db.execute(
        "SELECT count(*) FROM actions a JOIN cases c ON c.id = a.case_id "
        "JOIN staff o ON o.id = a.owner_id WHERE o.team_id IS NOT c.team_id"
    ).fetchone()[0]
    assert strangers == 0
    assert db.execute("SELECT max(reviewed_at) FROM reviews").fetchone()[0] < "2026-11-26"
    states = dict(
        db.execute(
            "SELECT CASE WHEN state = 'done' THEN 'done' WHEN due_on < ? THEN 'late' "
            "ELSE 'open' END, count(*) FROM actions GROUP BY 1",
            [AS_OF.isoformat()],
        ).fetchall()
    )
    assert set(states) == {"done", "late", "open"}
    assert (
        db.execute(
            "SELECT count(*) FROM actions WHERE state = 'done' AND closed_at <= "
            "(SELECT reviewed_at FROM reviews WHERE id = actions.review_id)"
        ).fetchone()[0]
        == 0
    )  # done after they were agreed
    disagreed = db.execute(
        "SELECT count(DISTINCT review_id) FROM review_contributions WHERE disagreed = 1"
    ).fetchone()[0]
    assert disagreed == made.disagreements


def test_the_demo_managers_digest_names_every_child_not_seen_before_reviews_in_ten_lines(
    runner, db, settings
):
    """The demo `make run` loads (its defaults), on a fixed day: "needs you today" holds at
    most 10 lines, and every hotspot whose child is not seen on time is named before any word
    about reviews."""
    result = runner.invoke(args=["demo", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Follow-through:" in result.output
    manager = next(m for m in managers(db) if m["email"] == SIGN_IN["manager"])
    digest = gather_digest(db, settings, manager, digest_date=AS_OF, now=NOW)
    lines = digest["needs_you"]
    assert len(lines) <= 10
    unseen = digest["counts"]["unseen_hotspots"]
    assert unseen > 0  # the demo has children not seen on time to lead with
    named = [line["case_ref"] for line in lines if line["kind"] == "unseen"]
    for line in lines:
        if line["kind"] == "more":
            named += line["unseen"]
            # The names come before the reviews in the line itself.
            if "await a review" in line["fact"] and line["unseen"]:
                assert line["fact"].index(line["unseen"][-1]) < line["fact"].index("await")
    assert len(named) == unseen == len(set(named))
    kinds = [line["kind"] for line in lines]
    if "awaiting_review" in kinds:
        assert kinds.index("awaiting_review") > max(i for i, k in enumerate(kinds) if k == "unseen")
    for line in lines:
        assert "30 days" not in line["fact"]  # never the length of the demo's history


@pytest.mark.parametrize("cases", [20])
def test_a_demo_too_small_for_hotspots_makes_no_follow_through(tmp_path, settings, cases):
    db = storage.connect(tmp_path / "tiny.db")
    migrate(db)
    load_demo(db, settings, cases=cases, seed=1, as_of=AS_OF, now=NOW, password_hash="x",
              rescore=False)  # fmt: skip
    assert add_follow_through(db, seed=1, as_of=AS_OF).reviews == 0  # nothing scored yet
