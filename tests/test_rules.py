"""One definition per rule: the pure rules, and an invented authority on which the model, the
stored scores, the pages' lists and the digest agree case by case."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from hotspots.model import rules, scoring
from hotspots.services import rescoring
from hotspots.services.demo import load_demo
from hotspots.services.sending import gather_digest, managers
from hotspots.storage import fetch_all
from hotspots.storage import rules as rule_sql
from hotspots.storage.caseload import CASELOAD_SQL
from hotspots.storage.cases import CASE_BY_REF_SQL
from hotspots.storage.rescoring import facts
from hotspots.storage.teams import TEAM_AWAITING_REVIEW_SQL, TEAM_PRACTICE_GAPS_SQL
from hotspots.web import present

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
GAPS = {"domestic_abuse_enquiry_due_days": 28}


class Asked:
    def __init__(self, topic, asked_on, outcome):
        self.topic, self.asked_on, self.outcome = topic, asked_on, outcome


def gaps_on(as_of, *, opened_on=date(2026, 10, 1), enquiries=(), **extra):
    found = rules.practice_gaps(
        opened_on=opened_on,
        allocated=extra.get("allocated", True),
        visit_every_days=extra.get("visit_every_days", 14),
        last_visit_on=extra.get("last_visit_on", as_of),
        enquiries=enquiries,
        gaps=GAPS,
        as_of=as_of,
    )
    return [code for code, _ in found]


def test_the_domestic_abuse_enquiry_is_due_on_day_28_and_missing_on_day_29():
    opened = date(2026, 10, 1)
    assert "no_domestic_abuse_enquiry" not in gaps_on(opened + timedelta(days=28))
    assert "no_domestic_abuse_enquiry" in gaps_on(opened + timedelta(days=29))


def test_a_question_that_could_not_be_asked_is_still_unasked():
    day = date(2026, 11, 26)
    unable = [Asked("domestic_abuse", date(2026, 10, 5), "unable_to_ask")]
    asked = [Asked("domestic_abuse", date(2026, 10, 5), "not_disclosed")]
    assert "no_domestic_abuse_enquiry" in gaps_on(day, enquiries=unable)
    assert "no_domestic_abuse_enquiry" not in gaps_on(day, enquiries=asked)


def test_a_visit_is_overdue_the_day_after_it_was_due():
    last = date(2026, 11, 1)
    due = rules.next_visit_due(last, date(2026, 1, 1), 14)
    assert due == date(2026, 11, 15)
    assert "visit_overdue" not in gaps_on(due, last_visit_on=last)
    assert "visit_overdue" in gaps_on(due + timedelta(days=1), last_visit_on=last)


def test_a_hotspot_is_reviewed_for_exactly_the_review_interval():
    today = date(2026, 11, 26)
    assert rules.is_reviewed(today - timedelta(days=7), today, 7)
    assert not rules.is_reviewed(today - timedelta(days=8), today, 7)
    assert not rules.is_reviewed(today + timedelta(days=1), today, 7)  # not yet made


def awaits(band="red", *, reviewed_days_ago=None, open_actions=0, done_since=False):
    today = date(2026, 11, 26)
    last = today - timedelta(days=reviewed_days_ago) if reviewed_days_ago is not None else None
    return rules.awaits_review(
        band,
        last_reviewed_on=last,
        open_actions=open_actions,
        actions_done_since_review=done_since,
        as_of=today,
        within_days=7,
    )


def test_a_hotspot_awaits_a_review_until_one_is_in_hand():
    assert awaits()  # never reviewed, however new: no grace from how long scores are held
    assert not awaits(reviewed_days_ago=7)  # reviewed on day 7 of 7
    assert awaits(reviewed_days_ago=8)
    assert not awaits(reviewed_days_ago=30, open_actions=1)  # its actions are in hand
    assert awaits(reviewed_days_ago=1, done_since=True)  # done: review it again
    assert not awaits("amber")  # no longer a hotspot: no review needed


def test_actions_closed_after_the_latest_review_call_for_another():
    review = "2026-11-24T09:00:00.000000+00:00"
    assert rules.actions_done_since_review(review, "2026-11-24T09:00:00.000001+00:00")
    assert not rules.actions_done_since_review(review, "2026-11-24T08:59:59.999999+00:00")
    assert not rules.actions_done_since_review(review, None)
    assert rules.actions_done_since_review(None, "2026-11-24T09:00:00.000000+00:00")


def test_a_visit_is_days_overdue_from_the_day_after_it_was_due():
    opened, last = date(2026, 1, 1), date(2026, 11, 1)
    assert rules.visit_overdue_days(last, opened, 14, date(2026, 11, 15)) == 0  # due today
    assert rules.visit_overdue_days(last, opened, 14, date(2026, 11, 16)) == 1
    assert rules.visit_overdue_days(None, date(2026, 11, 1), 14, date(2026, 11, 26)) == 11


def test_an_action_is_past_its_due_date_the_day_after():
    due = date(2026, 11, 20)
    assert not rules.is_action_overdue("open", due, due)
    assert rules.is_action_overdue("open", due, due + timedelta(days=1))
    assert not rules.is_action_overdue("done", due, due + timedelta(days=9))


def test_the_gap_mask_round_trips_and_keeps_the_rules_order():
    codes = ["visit_overdue", "no_domestic_abuse_enquiry"]
    assert rules.gap_codes(rules.gap_mask(codes)) == ["no_domestic_abuse_enquiry", "visit_overdue"]
    assert rules.gap_codes(None) == []


def test_a_caseload_ranks_the_highest_score_first_and_equal_scores_by_the_lower_case_id():
    scores = [(7, 1, 2.5), (3, 1, 9.0), (5, 1, 2.5), (4, 2, 2.5), (9, None, 30.0), (2, 1, 2.5)]
    assert rules.caseload_ranks(scores) == {3: 1, 2: 2, 5: 3, 7: 4, 4: 1, 9: None}
    assert rules.caseload_ranks([]) == {}


# Every score's rank, and one caseload in rank order, through the SQL twin.
RANKS_SQL = f"SELECT s.case_id, {rule_sql.RANK} AS rank FROM scores AS s"  # noqa: S608
CASELOAD_RANKS_SQL = f"""
SELECT s.case_id, {rule_sql.RANK} AS rank FROM scores AS s WHERE s.worker_id = :worker
ORDER BY {rule_sql.RANK_ORDER}
"""  # noqa: S608 (constant fragments, no values)


def ranks_db(tmp_path, rng):
    """Scores for 90 cases in three caseloads and none, from a few values so ties abound; the
    case ids are given out of order, so no order of insertion can pass for rank order."""
    from hotspots import storage
    from hotspots.storage.schema import migrate

    db = storage.connect(tmp_path / "ranks.db")
    migrate(db)
    team = db["teams"].insert({"name": "Broadland"}).last_pk
    workers = [
        db["staff"]
        .insert({"email": f"w{n}@example.org", "name": f"W{n}", "role": "worker", "team_id": team})
        .last_pk
        for n in range(3)
    ]
    ids = rng.sample(range(1, 10_000), 90)
    for case_id in ids:
        worker = rng.choice([*workers, None])
        db["cases"].insert(
            {
                "id": case_id,
                "case_ref": f"C{case_id:05d}",
                "initials": "AB",
                "date_of_birth": "2026-01-01",
                "team_id": team,
                "worker_id": worker,
                "opened_on": "2026-02-01",
                "visit_every_days": 14,
                "status": "open",
            }
        )
        db["scores"].insert(
            {
                "case_id": case_id,
                "as_of": AS_OF.isoformat(),
                "score": rng.choice([0.0, 2.0, 2.5, 7.25, 7.25, 31.0]),
                "band": "green",
                "worker_id": worker,
                "model_version": "test",
                "computed_at": NOW.isoformat(),
            }
        )
    return db, workers


def test_the_sql_rank_and_its_order_agree_with_the_pure_rank_case_by_case_ties_included(
    tmp_path,
):
    db, workers = ranks_db(tmp_path, random.Random(80))
    rows = db.execute("SELECT case_id, worker_id, score FROM scores").fetchall()
    expected = rules.caseload_ranks(rows)
    ranked = dict(db.execute(RANKS_SQL).fetchall())
    assert ranked == expected
    assert None in ranked.values()  # some cases are unallocated
    for worker in workers:
        ordered = db.execute(CASELOAD_RANKS_SQL, {"worker": worker}).fetchall()
        # Ordering by RANK_ORDER numbers the caseload 1, 2, 3… as RANK does.
        assert [rank for _, rank in ordered] == list(range(1, len(ordered) + 1))
        scores = db.execute(
            "SELECT score FROM scores WHERE worker_id = ? GROUP BY score HAVING count(*) > 1",
            [worker],
        ).fetchall()
        assert scores  # each caseload has ties to break


def test_a_rank_is_counted_from_the_caseload_index_without_reading_the_scores_table(tmp_path):
    db, _ = ranks_db(tmp_path, random.Random(81))
    plan = [
        row[3] for row in db.execute("EXPLAIN QUERY PLAN " + RANKS_SQL + " WHERE s.case_id = 1")
    ]
    counts = [step for step in plan if step.startswith("SEARCH above")]
    assert counts == [
        "SEARCH above USING COVERING INDEX scores_worker (worker_id=? AND score>?)",
        "SEARCH above USING COVERING INDEX scores_worker (worker_id=? AND score=? AND case_id<?)",
    ]


# --- an invented authority -------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A demo authority scored today and ten days ago, with reviews of every age, so there are
    hotspots new, old, reviewed and unreviewed."""
    from hotspots import storage
    from hotspots.base.config import load_config
    from hotspots.storage.schema import migrate

    settings = load_config(environ={})
    db = storage.connect(tmp_path_factory.mktemp("rules") / "authority.db")
    migrate(db)
    load_demo(db, settings, cases=400, seed=8, as_of=AS_OF, now=NOW, password_hash="x",
              rescore=False)  # fmt: skip
    earlier = AS_OF - timedelta(days=10)
    rescoring.rescore_all(db, settings, as_of=earlier, now=NOW, history_only=True)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    rng = random.Random(8)
    staff = db.execute("SELECT id FROM staff WHERE role = 'manager' LIMIT 1").fetchone()[0]
    for (case_id,) in db.execute("SELECT case_id FROM scores WHERE band = 'red'").fetchall():
        if rng.random() < 0.6:
            back = rng.choice([0, 3, 7, 8, 20])
            reviewed = AS_OF - timedelta(days=back)
            review = (
                db["reviews"]
                .insert(
                    {
                        "case_id": case_id,
                        "reviewed_by_id": staff,
                        "reviewed_at": f"{reviewed.isoformat()}T09:00:00.000000+00:00",
                        "plan": "Joint visit",
                    }
                )
                .last_pk
            )
            # Its action: none, open (in hand, some past their due date), or closed after it
            # (the case awaits a review again) or, for an older review, before it.
            state = rng.choice(["none", "open", "closed", "closed_before"])
            if state == "none":
                continue
            closed = {
                "closed": reviewed + timedelta(days=1),
                "closed_before": reviewed - timedelta(days=1),
            }.get(state)
            closed = f"{closed.isoformat()}T10:00:00.000000+00:00" if closed else None
            db["actions"].insert(
                {
                    "case_id": case_id,
                    "review_id": review,
                    "kind": "visit_child",
                    "owner_id": staff,
                    "due_on": (reviewed + timedelta(days=rng.choice([2, 30]))).isoformat(),
                    "created_by_id": staff,
                    "created_at": f"{reviewed.isoformat()}T09:00:00.000000+00:00",
                    "state": "open" if closed is None else "done",
                    "closed_at": closed,
                    "closed_by_id": None if closed is None else staff,
                    "outcome": None if closed is None else "Seen at home",
                }
            )
    return db, settings


def model_view(db, settings):
    """What the pure model says of every open case today."""
    model = settings["scoring"]
    result = {}
    for row, case in facts.open_case_facts(db):
        score = scoring.score_case(case, model, AS_OF)
        result[row["case_ref"]] = {
            "score": score.score,
            "gaps": {code for code, _ in scoring.gaps_of(case, model, AS_OF)},
            "current": scoring.current_concerns(case, model, AS_OF),
            "reasons": [
                r["label"] for r in rules.reasons([c.as_dict() for c in score.contributions])
            ],
        }
    return result


def test_model_stored_scores_pages_and_digest_agree_case_by_case(authority):
    db, settings = authority
    model = model_view(db, settings)
    stored = {
        r["case_ref"]: r
        for r in fetch_all(
            db,
            "SELECT c.case_ref, s.* FROM scores s JOIN cases c ON c.id = s.case_id",
            {},
        )
    }
    assert set(stored) == set(model)
    hotspots = 0
    for ref, expected in model.items():
        row = stored[ref]
        assert row["score"] == pytest.approx(expected["score"], abs=1e-6), ref
        assert set(rules.gap_codes(row["practice_gaps"])) == expected["gaps"], ref
        assert row["current_concerns"] == expected["current"], ref
        hotspots += rules.is_hotspot(row["band"])
    assert hotspots > 0

    within = settings["digest"]["unreviewed_after_days"]
    # The team page's lists, for the whole team (no worker filter), all on one page.
    params = rule_sql.parameters(AS_OF, within) | {
        "limit": 100_000,
        "offset": 0,
        "worker_id": None,
    }
    digest_no_enquiry, page_no_enquiry = set(), set()
    digest_awaiting, page_awaiting = set(), set()
    settings = json.loads(json.dumps(settings))
    settings["digest"]["list_limit"] = 100_000
    settings["digest"]["top_hotspots"] = 100_000
    for manager in managers(db):
        digest = gather_digest(db, settings, manager, digest_date=AS_OF, now=NOW)
        digest_no_enquiry |= {r["case_ref"] for r in digest["no_domestic_abuse_enquiry"]}
        digest_awaiting |= {r["case_ref"] for r in digest["awaiting_review"]}
        team = {"team_id": manager["team_id"]} | params
        page_no_enquiry |= {r["case_ref"] for r in fetch_all(db, TEAM_PRACTICE_GAPS_SQL, team)}
        page_awaiting |= {r["case_ref"] for r in fetch_all(db, TEAM_AWAITING_REVIEW_SQL, team)}
        for r in digest["top_cases"]:
            # Reasons and trends: the digest's are the model's and the pages'.
            assert [x["label"] for x in r["reasons"]] == model[r["case_ref"]]["reasons"]
            assert r["hotspot"] == (r["band"] == "red")
    model_no_enquiry = {ref for ref, m in model.items() if "no_domestic_abuse_enquiry" in m["gaps"]}
    assert digest_no_enquiry == page_no_enquiry == model_no_enquiry
    assert model_no_enquiry  # the demo leaves some questions unasked
    assert digest_awaiting == page_awaiting
    assert page_awaiting  # some hotspots wait for a review

    # The pure rules, from each case's own records, say the same; and the visit twin too.
    pure_awaiting, in_hand, done_since = set(), set(), set()
    visits = dict(
        db.execute(
            f"SELECT c.case_ref, {rule_sql.VISIT_OVERDUE} FROM cases c WHERE c.status = 'open'",  # noqa: S608
            rule_sql.parameters(AS_OF, within),
        ).fetchall()
    )
    for ref, row in stored.items():
        case = db.execute(
            "SELECT last_visit_on, opened_on, visit_every_days FROM cases WHERE id = ?",
            [row["case_id"]],
        ).fetchone()
        overdue = rules.visit_overdue_days(
            date.fromisoformat(case[0]) if case[0] else None,
            date.fromisoformat(case[1]),
            case[2],
            AS_OF,
        )
        assert bool(visits[ref]) == (overdue > 0), ref
        last_at = db.execute(
            "SELECT max(reviewed_at) FROM valid_reviews WHERE case_id = ?", [row["case_id"]]
        ).fetchone()[0]
        open_actions, closed_at = db.execute(
            "SELECT sum(state = 'open'), max(CASE WHEN state <> 'open' THEN closed_at END) "
            "FROM actions WHERE case_id = ?",
            [row["case_id"]],
        ).fetchone()
        done = rules.actions_done_since_review(last_at, closed_at)
        if rules.awaits_review(
            row["band"],
            last_reviewed_on=date.fromisoformat(last_at[:10]) if last_at else None,
            open_actions=open_actions or 0,
            actions_done_since_review=done,
            as_of=AS_OF,
            within_days=within,
        ):
            pure_awaiting.add(ref)
            done_since |= {ref} if done else set()
        elif open_actions:
            in_hand.add(ref)
    assert pure_awaiting == page_awaiting
    assert in_hand and done_since  # both branches of the rule are on this authority
    assert any(visits.values()) and not all(visits.values())

    # Ranks: the pages', the case page's and the CLI's are the pure rule's.
    expected = rules.caseload_ranks(
        db.execute("SELECT case_id, worker_id, score FROM scores").fetchall()
    )
    refs = {row["case_id"]: ref for ref, row in stored.items()}
    for ref, row in stored.items():
        case = fetch_all(db, CASE_BY_REF_SQL, {"case_ref": ref})[0]
        assert case["rank"] == expected[row["case_id"]], ref
    for worker in {row["worker_id"] for row in stored.values()} - {None}:
        caseload = [
            (r["rank"], r["case_ref"]) for r in rescoring.read_caseload(db, worker, settings)
        ]
        assert caseload == sorted(
            (rank, refs[case_id])
            for case_id, rank in expected.items()
            if stored[refs[case_id]]["worker_id"] == worker
        )


def test_a_workers_caseload_page_and_the_cli_agree_on_trend_reasons_and_overdue_visits(
    authority,
):
    db, settings = authority
    worker = db.execute(
        "SELECT worker_id FROM scores WHERE worker_id IS NOT NULL GROUP BY worker_id"
        " ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    params = {"worker_id": worker, "band": "", "trend_day": rules.trend_day(AS_OF).isoformat()}
    page_rows = fetch_all(db, CASELOAD_SQL, params)
    explained = rescoring.contributions_for(db, {r["id"]: r for r in page_rows}, settings)
    cli = {r["case_ref"]: r for r in rescoring.read_caseload(db, worker, settings, AS_OF)}
    assert set(cli) == {r["case_ref"] for r in page_rows}
    for row in page_rows:
        shown = present.case_row(row, AS_OF, contributions=explained[row["id"]])
        listed = cli[row["case_ref"]]
        assert shown["reasons"] == listed["reasons"]
        assert shown["visit_overdue"] == ("visit_overdue" in listed["practice_gaps"])
        assert rules.trend(row["score"], row["score_week_ago"]) == listed["trend"]


def test_a_match_with_the_reviews_pattern_is_the_first_reason_whatever_it_adds():
    rows = [
        {"code": "domestic_abuse", "label": "Domestic abuse", "kind": "indicator", "points": 7.5},
        {"code": "review_pattern", "label": "Matches the pattern the review found: conflict",
         "kind": "pattern", "points": 0.0},
        {"code": "new_partner", "label": "New partner", "kind": "indicator", "points": 4.0},
    ]  # fmt: skip
    found = rules.reasons(rows, limit=2)
    assert [r["code"] for r in found] == ["review_pattern", "domestic_abuse"]
    assert rules.reason_text(found[0]) == "Matches the pattern the review found: conflict"
    assert rules.reason_text(found[1]) == "Domestic abuse (+7.5)"
    raised = dict(rows[1], points=6.25)
    assert rules.reason_text(rules.reasons([raised])[0]).endswith("(+6.2)")


BAND_SQL = f"SELECT {rule_sql.BAND} FROM (SELECT :score AS score) AS s"  # noqa: S608


@pytest.mark.parametrize("score", [0.0, 5.999999, 6.0, 6.000001, 11.999999, 12.0, 12.5, 40.0])
def test_the_sql_band_is_the_models_band_on_and_beside_each_threshold(db, score):
    model = {"red_threshold": 12.0, "amber_threshold": 6.0}
    params = {"score": score} | rule_sql.band_parameters(model)
    assert db.execute(BAND_SQL, params).fetchone()[0] == scoring.band_for(score, model)


LEASE_SQL = f"SELECT {rule_sql.LEASE_RUN_OUT} FROM (SELECT :claimed_at AS claimed_at) AS d"  # noqa: S608


@pytest.mark.parametrize(
    "after",
    [timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1), timedelta(hours=1)],
)
def test_the_sql_lease_rule_is_the_digests_on_the_instant_the_lease_ends(db, after):
    from hotspots.base.dates import stamp
    from hotspots.model.digest import lease_has_run_out

    lease = timedelta(minutes=15)
    claimed_at = datetime(2026, 11, 26, 7, 30, 0, 250_000, tzinfo=UTC)
    now = claimed_at + lease + after
    params = {"claimed_at": stamp(claimed_at)} | rule_sql.lease_parameters(now, lease)
    in_sql = bool(db.execute(LEASE_SQL, params).fetchone()[0])
    assert in_sql == lease_has_run_out(claimed_at, now, lease) == (after > timedelta(0))
