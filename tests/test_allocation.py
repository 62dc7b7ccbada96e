"""Who holds which case (hotspots.storage.allocation): a case moves only from the worker who
holds it, every move is recorded with its reason, and caseloads mark who cannot take cases."""

from __future__ import annotations

import browser_support as world
import pytest

from hotspots.storage import allocation, rules


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def holder(db, ref):
    return db.execute("SELECT worker_id FROM cases WHERE case_ref = ?", [ref]).fetchone()[0]


def test_a_case_moves_only_from_the_worker_who_holds_it(db, ids):
    ann, bob, meg = (ids["staff"][k] for k in ("ann", "bob", "meg"))
    case = ids["cases"]["N-0001"]  # Ann's
    # Two managers move it at once: the one who saw it with Ann wins, the other moves nothing.
    move = {"reason": "Ann on leave", "made_by_id": meg, "at": "2026-03-02T09:30:00+00:00"}
    first = allocation.move_cases(db, [case], from_worker_id=ann, to_worker_id=bob, **move)
    second = allocation.move_cases(db, [case], from_worker_id=ann, to_worker_id=meg, **move)
    assert first == [case] and second == []
    assert holder(db, "N-0001") == bob
    assert db.execute(
        "SELECT from_worker_id, to_worker_id, reason FROM allocations"
    ).fetchall() == [(ann, bob, "Ann on leave")]


def test_a_leavers_case_can_be_left_unallocated_and_a_closed_case_never_moves(db, ids):
    bob = ids["staff"]["bob"]
    db.execute("UPDATE cases SET status = 'closed' WHERE case_ref = 'N-0002'")
    moved = allocation.move_cases(
        db,
        [ids["cases"]["N-0004"], ids["cases"]["N-0002"]],
        from_worker_id=bob,
        to_worker_id=None,
        reason="Left",
        made_by_id=None,
        at="2026-03-02T09:30:00+00:00",
    )
    assert moved == [ids["cases"]["N-0004"]]
    assert holder(db, "N-0004") is None


def test_caseloads_put_a_disabled_member_holding_cases_first_and_leave_others_out(db, ids):
    bob, meg = ids["staff"]["bob"], ids["staff"]["meg"]
    db.execute("UPDATE staff SET disabled_at = '2026-03-01T00:00:00+00:00' WHERE id IN (?, ?)",
               [bob, meg])  # fmt: skip
    params = rules.parameters(world.TODAY, 7)
    loads = allocation.caseloads(db, ids["teams"]["north"], params)
    assert [(m["name"], bool(m["disabled_at"])) for m in loads] == [
        ("Bob Worker", True),  # still holds N-0004
        ("Ann Worker", False),
    ]  # Meg, disabled and holding nothing, is not listed
    assert [allocation.can_hold_cases(m) for m in loads] == [False, True]
