"""Demo follow-through: reviews of some of the demo's hotspots, as a team would have made them
over the last few weeks, with the actions they agreed (some done, some still open, some past
their due date) and a few disagreements with the score.

Kept apart from the population generator (``hotspots.services.demo``): it runs on a scored demo,
reads
only the bands and the stored contributions, and writes through the same storage functions
the pages use (``hotspots.storage.followup``). Deterministic for a seed and a day.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.model import rules
from hotspots.storage import followup, write_transaction

# The share of hotspots reviewed, and of those reviews the share that disagree with the score.
REVIEWED_SHARE = 0.45
DISAGREE_SHARE = 0.2
# What the demo's agreed actions are, and what their owners wrote once they had done them.
DEMO_ACTIONS = (
    "joint_visit_health_visitor",
    "visit_child",
    "ask_domestic_abuse",
    "strategy_discussion",
    "safety_plan",
    "supervision",
)
DONE_OUTCOMES = (
    "Done: the child was seen at home and is well; nothing new.",
    "Done: asked safely, with the partner out of the room; nothing disclosed.",
    "Done: agreed with the family and the school; reviewed again in four weeks.",
)
DISAGREE_REASONS = (
    "The injury was explained by the GP and the hospital; the family is working with us.",
    "The police call-out was to a neighbour's flat, not this household.",
)


@dataclass
class FollowThrough:
    reviews: int = 0
    disagreements: int = 0
    actions: int = 0
    done: int = 0

    def text(self) -> str:
        return (
            f"Follow-through: {self.reviews} hotspot reviews ({self.disagreements} disagreeing "
            f"with the score), {self.actions} agreed actions ({self.done} done)."
        )


def add_follow_through(db: sqlite_utils.Database, *, seed: int, as_of: date) -> FollowThrough:
    """Review some of the scored demo's hotspots in the days before ``as_of``, in one
    transaction; returns what was made."""
    rng = random.Random(f"follow-through:{seed}:{as_of.isoformat()}")
    made = FollowThrough()
    with write_transaction(db):
        for case in followup.demo_hotspots(db):
            if case["manager_id"] is None or rng.random() >= REVIEWED_SHARE:
                continue
            days_ago = rng.randint(1, 20)
            reviewed_at = _at(as_of - timedelta(days=days_ago), 10)
            contributions = json.loads(case["contributions"] or "[]")
            if rng.random() < DISAGREE_SHARE and contributions:
                top = rules.reasons(contributions, 1)
                followup.record_review(
                    db,
                    case_id=case["id"],
                    reviewer_id=case["worker_id"],
                    at=reviewed_at,
                    decision="disagree",
                    disagree_reason=rng.choice(DISAGREE_REASONS),
                    plan="",
                    score=case,
                    contributions=contributions,
                    disagreed=[r["code"] for r in top],
                    actions=[],
                )
                made.reviews += 1
                made.disagreements += 1
                continue
            actions = [
                {
                    "kind": rng.choice(DEMO_ACTIONS),
                    "description": "",
                    "owner_id": rng.choice([case["worker_id"]] * 2 + [case["manager_id"]]),
                    "due_on": (as_of - timedelta(days=days_ago - rng.randint(2, 21))).isoformat(),
                }
                for _ in range(rng.randint(1, 2))
            ]
            review_id = followup.record_review(
                db,
                case_id=case["id"],
                reviewer_id=case["manager_id"],
                at=reviewed_at,
                decision="act",
                disagree_reason=None,
                plan="",
                score=case,
                contributions=contributions,
                disagreed=[],
                actions=actions,
            )
            made.reviews += 1
            made.actions += len(actions)
            for action in followup.case_actions(db, case["id"]):
                due = date.fromisoformat(action["due_on"])
                # Most actions due by now are done on time; a few are late, still open.
                if action["review_id"] == review_id and due < as_of and rng.random() < 0.75:
                    followup.close_action(
                        db,
                        action["id"],
                        case["id"],
                        state="done",
                        outcome=rng.choice(DONE_OUTCOMES),
                        by_id=action["owner_id"],
                        at=_at(min(due, as_of - timedelta(days=1)), 15),
                    )
                    made.done += 1
    return made


def _at(day: date, hour: int) -> str:
    return stamp(datetime.combine(day, time(hour), tzinfo=UTC))
