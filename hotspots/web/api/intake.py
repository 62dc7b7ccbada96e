"""Taking in a partner's observations: match each item to a case, then insert, update or
queue it, all in the caller's transaction.

Rules (docs/api.md says the same to partners):

- **Which case.** An open case whose ``case_ref`` is the item's; else the one open case
  holding the item's NHS number. A case_ref and an NHS number that point at two different
  cases is an error in the item, as is an NHS number other than the one the named case holds.
  No open case (an unknown reference, a closed case, an NHS number on no case or on several):
  the item goes to the unmatched queue, with the reason, for a manager to attach or dismiss.
- **Idempotent.** An item is keyed by (partner, the partner's ``id``). Sent again unchanged,
  nothing is written. Changed, the stored observation (or queued item) is updated. An item a
  manager attached from the queue stays on that case while its identifiers still match none.
- **Source** is always the partner's agency.
- **A worker's judgement stands.** Once a member of staff has resolved or refuted a partner's
  observation on the case page, the partner's status for that item is no longer applied
  (its other fields still are); the same while a family disputes it.
- **A corrected match is never made again.** When a worker found, after a family's dispute,
  that an item is not about the case it was matched to (``hotspots.storage.disputes``), the
  item is never matched to that case again: it waits in the queue for the right child.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from hotspots.base import dates
from hotspots.services import audit
from hotspots.services.partners import Partner
from hotspots.storage import disputes
from hotspots.storage import partners as store
from hotspots.web.api import checks

COMPARED = ("indicator", "observed_on", "status", "note")


@dataclass
class ItemProblem:
    index: int
    field: str | None
    detail: str


class ItemsRejected(Exception):
    """Items that cannot be taken in as sent; nothing was written."""

    def __init__(self, problems: list[ItemProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


@dataclass
class Receipt:
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    # The cases whose observations the request may have written (a moved observation's old
    # and new case): the ones to rescore before answering. Not shown to the partner.
    cases: set[int] = field(default_factory=set)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o["outcome"] == outcome)

    @property
    def queued(self) -> int:
        return sum(1 for o in self.outcomes if o["queued"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": len(self.outcomes),
            "new": self.count("new"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "queued": self.queued,
            "items": self.outcomes,
        }


def duplicate_ids(items: list[Any]) -> list[ItemProblem]:
    """An id sent twice in one request is ambiguous (which one wins?): each repeat is an
    error. ``items`` are as sent (any JSON values); only text ids are compared."""
    first: dict[str, int] = {}
    problems = []
    for index, item in enumerate(items):
        ref = item.get("id") if isinstance(item, dict) else None
        if not isinstance(ref, str):
            continue  # not an id at all: the item's own checks say so
        if ref in first:
            # Named when it is a usable id (short, printable); any other text is not quoted.
            named = "" if checks.partner_ref_problem(ref) else f"{ref} "
            problems.append(
                ItemProblem(index, "id", f"{named}appears again (first at index {first[ref]})")
            )
        else:
            first[ref] = index
    return problems


def take_in(
    db: sqlite_utils.Database, partner: Partner, items: list[dict[str, Any]], *, now: datetime
) -> Receipt:
    """Write a request's validated items (dicts of the Observation model's fields) for
    ``partner``, inside the caller's transaction, and audit them. Raises ItemsRejected, having
    written nothing, when an item's identifiers contradict each other."""
    stamp = dates.stamp(now)
    refs = [i["case_ref"] for i in items if i["case_ref"]]
    numbers = [i["nhs_number"] for i in items if i["nhs_number"]]
    by_ref, by_number = store.cases_for(db, refs, numbers)
    sent_before, queued_before = store.partner_items(db, partner.id, [i["id"] for i in items])
    not_about = disputes.wrong_matches(db, partner.id, [i["id"] for i in items])

    problems: list[ItemProblem] = []
    plans = []
    for index, item in enumerate(items):
        target, why, problem = _match(item, by_ref, by_number)
        if target is not None and target["case_ref"] in not_about.get(item["id"], ()):
            target, why = None, f"a worker found it is not about case {target['case_ref']}"
        if problem:
            problems.append(ItemProblem(index, *problem))
        plans.append((item, target, why))
    if problems:
        raise ItemsRejected(problems)

    receipt = Receipt()
    for item, target, why in plans:
        values = {
            "partner_id": partner.id,
            "partner_ref": item["id"],
            "indicator": item["indicator"],
            "observed_on": item["observed_on"],
            "status": item["status"],
            "note": item["note"],
            "source": partner.source,
            "case_ref": item["case_ref"],
            "nhs_number": item["nhs_number"],
            "now": stamp,
        }
        before = sent_before.get(item["id"])
        queued = queued_before.get(item["id"])
        if before is not None:
            outcome, case_ref = _update_observation(db, before, target, values)
            queued_now = False
            receipt.cases |= {before["case_id"], target["id"] if target else before["case_id"]}
        elif target is not None:
            outcome = _insert_observation(db, target, queued, values, stamp)
            case_ref, queued_now = target["case_ref"], False
            receipt.cases.add(target["id"])
        else:
            outcome = _queue(db, queued, values, why)
            # Still waiting, unless a person dismissed it and it came again unchanged.
            case_ref = None
            queued_now = outcome != "unchanged" or queued["state"] == "open"
        if outcome != "unchanged":
            audit.record(
                db,
                at=now,
                action="partner_observation" if case_ref else "partner_unmatched",
                actor=partner.actor,
                case_ref=case_ref,
                detail=f"id={item['id']} indicator={item['indicator']} "
                f"observed_on={values['observed_on']} status={item['status']} {outcome}",
            )
        receipt.outcomes.append({"id": item["id"], "outcome": outcome, "queued": queued_now})

    summary = {
        "items": len(items),
        "new": receipt.count("new"),
        "updated": receipt.count("updated"),
        "unchanged": receipt.count("unchanged"),
        "unmatched": receipt.queued,
        "indicators": sorted(Counter(i["indicator"] for i in items)),
    }
    audit.record(
        db, at=now, action="api_observations", actor=partner.actor, detail=json.dumps(summary)
    )
    return receipt


def _match(
    item: dict[str, Any], by_ref: dict[str, dict], by_number: dict[str, list[dict]]
) -> tuple[dict | None, str, tuple[str, str] | None]:
    """(the open case the item is about or None, why none, a (field, problem) or None)."""
    ref, number = item["case_ref"], item["nhs_number"]
    named = by_ref.get(ref) if ref else None
    open_named = named if named and named["status"] == "open" else None
    holders = [c for c in by_number.get(number, []) if c["status"] == "open"] if number else []
    if open_named is not None and number:
        if open_named["nhs_number"] and open_named["nhs_number"] != number:
            return (
                None,
                "",
                ("nhs_number", f"is not the NHS number recorded for case {ref}: check both"),
            )
        if holders and all(c["id"] != open_named["id"] for c in holders):
            return None, "", ("nhs_number", f"belongs to another case than {ref}: check both")
    if open_named is not None:
        return open_named, "", None
    if len(holders) == 1:
        return holders[0], "", None
    if len(holders) > 1:
        return None, f"the NHS number is on {len(holders)} open cases", None
    reasons = []
    if ref:
        reasons.append(f"case {ref} is closed" if named else f"no case has reference {ref}")
    if number:
        reasons.append("no open case has the NHS number")
    return None, "; ".join(reasons), None


def _update_observation(
    db: sqlite_utils.Database, before: dict, target: dict | None, values: dict
) -> tuple[str, str]:
    # An item a manager attached stays where they put it while it still matches no case.
    case_id = target["id"] if target else before["case_id"]
    case_ref = target["case_ref"] if target else before["case_ref"]
    if before["status_changed_by_id"] is not None:
        # A worker resolved or refuted it on the case page, with a reason: that judgement
        # stands, and a re-send of the item must not quietly undo it.
        values = {**values, "status": before["status"]}
    if case_id == before["case_id"] and all(before[k] == values[k] for k in COMPARED):
        return "unchanged", case_ref
    store.update_observation(db, {**values, "id": before["id"], "case_id": case_id})
    return "updated", case_ref


def _insert_observation(
    db: sqlite_utils.Database, target: dict, queued: dict | None, values: dict, stamp: str
) -> str:
    if queued is not None and queued["state"] == "dismissed" and _same_as_queued(queued, values):
        return "unchanged"  # dismissed by a person: sending it again does not undo that
    observation_id = store.insert_observation(db, {**values, "case_id": target["id"]})
    if queued is not None:
        # The child became known: the queued item leaves the queue, attached by the service.
        store.mark_attached(db, queued["id"], observation_id, None, stamp)
        return "updated"
    return "new"


def _queue(db: sqlite_utils.Database, queued: dict | None, values: dict, why: str) -> str:
    values = {**values, "why": why}
    if queued is None:
        store.insert_unmatched(db, values)
        return "new"
    if _same_as_queued(queued, values) and queued["why"] == why:
        return "unchanged"
    store.update_unmatched(db, {**values, "id": queued["id"]})
    return "updated"


def _same_as_queued(queued: dict, values: dict) -> bool:
    keys = (*COMPARED, "case_ref", "nhs_number")
    return all(queued[k] == values[k] for k in keys)
