"""A family's correction route: an admin records that a person disputes a record (what an
observation says, or that a partner's notification is about this child); the record is marked
on the case page and counts towards no score until a worker decides; the decision puts it back
or refutes it (a wrong match back in the queue, never matched to that case again); every step
audited; neither a partner's re-send nor a re-imported file undoes a dispute or a correction."""

from __future__ import annotations

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, score_row, sign_in

from hotspots.services import partners
from hotspots.services.importer import import_csv

DISPUTE = {
    "dispute-kind": "record",
    "dispute-disputed_by": "parent_or_carer",
    "dispute-what": "The police call was to the flat next door",
    "dispute-received_on": ["1", "3", "2026"],
}


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def admin(app, ids):
    client = app.test_client()
    sign_in(client, "ada")
    return client


@pytest.fixture
def worker(app, ids):
    client = app.test_client()
    sign_in(client, "ann")
    return client


def observation_of(db, case_id, indicator):
    return db.execute(
        "SELECT id, status, status_reason, status_changed_by_id FROM observations "
        "WHERE case_id = ? AND indicator = ?",
        [case_id, indicator],
    ).fetchone()


def dispute(admin, ref, observation_id, **changes):
    return admin.post(f"/cases/{ref}/observations/{observation_id}/dispute", data=DISPUTE | changes)


def decide(client, ref, dispute_id, decision, reason="Checked the police log: it is right"):
    return client.post(
        f"/cases/{ref}/disputes/{dispute_id}/decide",
        data={"decision-decision": decision, "decision-reason": reason},
    )


def open_dispute_id(db):
    return db.execute("SELECT id FROM disputes WHERE decision IS NULL").fetchone()[0]


# --- recording a dispute -----------------------------------------------------------------------


def test_a_disputed_record_stops_counting_at_once_and_is_marked_on_the_case_page(
    admin, worker, db, ids
):
    case_id = ids["cases"]["N-0001"]
    before = score_row(db, case_id)["score"]
    obs_id = observation_of(db, case_id, "domestic_abuse")[0]

    response = dispute(admin, "N-0001", obs_id)

    assert response.status_code == 302
    assert observation_of(db, case_id, "domestic_abuse")[1] == "disputed"
    assert score_row(db, case_id)["score"] < before  # rescored in the same transaction
    page = worker.get("/cases/N-0001").get_data(as_text=True)
    assert "Disputed by a parent or carer on 1 March 2026" in page
    assert "It counts towards no score until a worker decides." in page
    assert "The police call was to the flat next door" in page
    assert "Decide the dispute" in page
    (row,) = audit_rows(db, "record_dispute")
    assert (row["actor_email"], row["case_ref"]) == ("ada.admin@example.org", "N-0001")
    assert row["detail"] == (
        f"observation={obs_id} indicator=domestic_abuse kind=record by=parent_or_carer"
    )
    assert "flat" not in row["detail"]  # what they said stays with the dispute, not the log


def test_only_an_admin_records_a_dispute_and_a_worker_sees_no_link_to_it(worker, admin, db, ids):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]

    assert worker.get(f"/cases/N-0001/observations/{obs_id}/dispute").status_code == 403
    assert "Record a dispute" not in worker.get("/cases/N-0001").get_data(as_text=True)
    assert "Record a dispute" in admin.get("/cases/N-0001").get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM disputes").fetchone() == (0,)


def test_a_dispute_needs_who_what_and_when_and_saves_nothing_without_them(admin, db, ids):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]

    response = admin.post(
        f"/cases/N-0001/observations/{obs_id}/dispute",
        data={"dispute-what": "  ", "dispute-received_on": ["1", "3", "2027"]},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for words in ("Choose what is disputed", "Choose who disputes it",
                  "Enter what they say is wrong",
                  "The date they raised it must be today or in the past"):  # fmt: skip
        assert words in page
    assert db.execute("SELECT count(*) FROM disputes").fetchone() == (0,)
    assert observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[1] == "current"


def test_only_a_partners_notification_can_be_disputed_as_not_about_this_child(admin, db, ids):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]

    form = admin.get(f"/cases/N-0001/observations/{obs_id}/dispute").get_data(as_text=True)
    refused = dispute(admin, "N-0001", obs_id, **{"dispute-kind": "match"})

    assert "not about this child at all" not in form
    assert refused.status_code == 400 and "Choose what is disputed" in refused.get_data(
        as_text=True
    )


def test_a_record_already_disputed_cannot_be_disputed_twice(admin, db, ids):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]
    dispute(admin, "N-0001", obs_id)

    assert dispute(admin, "N-0001", obs_id).status_code == 404
    assert db.execute("SELECT count(*) FROM disputes").fetchone() == (1,)


# --- a worker decides -----------------------------------------------------------------------------


def test_an_upheld_record_counts_again_exactly_as_before(admin, worker, db, ids):
    case_id = ids["cases"]["N-0001"]
    before = score_row(db, case_id)["score"]
    obs_id = observation_of(db, case_id, "domestic_abuse")[0]
    dispute(admin, "N-0001", obs_id)

    response = decide(worker, "N-0001", open_dispute_id(db), "upheld")

    assert response.status_code == 302
    assert observation_of(db, case_id, "domestic_abuse")[1:] == ("current", None, None)
    assert score_row(db, case_id)["score"] == pytest.approx(before)
    page = worker.get("/cases/N-0001").get_data(as_text=True)
    assert "upheld: the record stands" in page
    assert "Checked the police log: it is right" in page
    (row,) = audit_rows(db, "uphold_dispute")
    assert row["actor_email"] == "ann.worker@example.org"


def test_a_corrected_record_is_refuted_with_the_workers_reason(admin, worker, db, ids):
    case_id = ids["cases"]["N-0001"]
    obs_id = observation_of(db, case_id, "domestic_abuse")[0]
    dispute(admin, "N-0001", obs_id)
    disputed = score_row(db, case_id)["score"]

    decide(worker, "N-0001", open_dispute_id(db), "corrected", "The log shows the flat next door")

    status, reason, by = observation_of(db, case_id, "domestic_abuse")[1:]
    assert (status, reason) == ("refuted", "Corrected after a dispute: The log shows the flat "
                                "next door")  # fmt: skip
    assert by == ids["staff"]["ann"]
    assert score_row(db, case_id)["score"] == pytest.approx(disputed)
    assert len(audit_rows(db, "correct_dispute")) == 1


def test_an_admin_cannot_decide_and_a_decided_dispute_cannot_be_decided_again(
    admin, worker, db, ids
):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]
    dispute(admin, "N-0001", obs_id)
    dispute_id = open_dispute_id(db)

    assert decide(admin, "N-0001", dispute_id, "upheld").status_code == 403
    decide(worker, "N-0001", dispute_id, "corrected")
    assert decide(worker, "N-0001", dispute_id, "upheld").status_code == 404
    assert db.execute("SELECT decision FROM disputes").fetchall() == [("corrected",)]


def test_a_decision_needs_a_reason(admin, worker, db, ids):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]
    dispute(admin, "N-0001", obs_id)

    response = decide(worker, "N-0001", open_dispute_id(db), "upheld", reason=" ")

    assert response.status_code == 400 and "Enter why" in response.get_data(as_text=True)
    assert observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[1] == "disputed"


def test_a_worker_who_may_not_see_the_case_cannot_decide(app, admin, db, ids):
    obs_id = observation_of(db, ids["cases"]["N-0001"], "domestic_abuse")[0]
    dispute(admin, "N-0001", obs_id)
    other = app.test_client()
    sign_in(other, "cat")  # the south team's worker

    assert decide(other, "N-0001", open_dispute_id(db), "corrected").status_code == 404
    assert db.execute("SELECT decision FROM disputes").fetchall() == [(None,)]


# --- a partner's notification matched to the wrong child ------------------------------------------


@pytest.fixture
def token(db, settings, ids):
    return partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)


def send(client, token, **fields):
    body = {"id": "PPN-1", "case_ref": "N-0003", "indicator": "ppn_high",
            "observed_on": "2026-03-01"} | fields  # fmt: skip
    return client.post(
        "/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def partner_observations(db):
    return db.execute(
        "SELECT c.case_ref, o.partner_ref, o.status FROM observations AS o "
        "JOIN cases AS c ON c.id = o.case_id WHERE o.partner_id IS NOT NULL ORDER BY o.id"
    ).fetchall()


def test_a_corrected_match_goes_back_to_the_queue_and_is_never_matched_to_that_case_again(
    app, admin, worker, db, ids, token
):
    api = app.test_client()
    send(api, token)
    case_id = ids["cases"]["N-0003"]
    before = score_row(db, case_id)["score"]
    obs_id = observation_of(db, case_id, "ppn_high")[0]
    dispute(admin, "N-0003", obs_id, **{"dispute-kind": "match"})
    assert score_row(db, case_id)["score"] < before

    decide(worker, "N-0003", open_dispute_id(db), "corrected", "Not this family's address")

    assert partner_observations(db) == [("N-0003", None, "refuted")]  # stays in its history
    queued = db.execute("SELECT partner_ref, state, why FROM unmatched_observations").fetchall()
    assert queued == [("PPN-1", "open", "matched to case N-0003 in error (a worker corrected "
                       "it after a dispute)")]  # fmt: skip
    # The partner sends it again, still naming N-0003: it waits in the queue.
    assert send(api, token).get_json()["queued"] == 1
    assert partner_observations(db) == [("N-0003", None, "refuted")]
    why = db.execute("SELECT why FROM unmatched_observations").fetchone()[0]
    assert why == "a worker found it is not about case N-0003"
    # A manager attaches it to the right child; sent again, it stays there.
    manager = app.test_client()
    sign_in(manager, "meg")
    item_id = db.execute("SELECT id FROM unmatched_observations").fetchone()[0]
    manager.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "N-0004"})
    send(api, token, note="sent again")
    assert partner_observations(db) == [("N-0003", None, "refuted"), ("N-0004", "PPN-1", "current")]


def test_an_upheld_match_lets_the_partner_correct_its_own_item_again(
    app, admin, worker, db, ids, token
):
    api = app.test_client()
    send(api, token)
    obs_id = observation_of(db, ids["cases"]["N-0003"], "ppn_high")[0]
    dispute(admin, "N-0003", obs_id, **{"dispute-kind": "match"})
    assert send(api, token, status="refuted").get_json()["updated"] == 0  # disputed: held
    assert partner_observations(db) == [("N-0003", "PPN-1", "disputed")]

    decide(worker, "N-0003", open_dispute_id(db), "upheld")
    send(api, token, status="refuted")

    assert partner_observations(db) == [("N-0003", "PPN-1", "refuted")]


# --- re-imports -----------------------------------------------------------------------------------


def test_a_reimported_file_never_undoes_a_dispute_or_a_correction(admin, worker, db, ids, settings,
                                                                  tmp_path):  # fmt: skip
    path = tmp_path / "observations.csv"
    path.write_text(
        "id,case_ref,indicator,observed_on,source,recorded_by,status,note\n"
        "X1,N-0002,police_callout,2026-02-20,police,,current,\n"
    )

    def reimport():
        return import_csv(db, settings, "observations", path, as_of=NOW.date(), now=NOW)

    reimport()
    obs_id = observation_of(db, ids["cases"]["N-0002"], "police_callout")[0]
    dispute(admin, "N-0002", obs_id)
    assert reimport().updated == 0
    assert observation_of(db, ids["cases"]["N-0002"], "police_callout")[1] == "disputed"

    decide(worker, "N-0002", open_dispute_id(db), "corrected")
    assert reimport().updated == 0
    assert observation_of(db, ids["cases"]["N-0002"], "police_callout")[1] == "refuted"
    # A file that changes the record's note is taken, and still leaves the correction be.
    path.write_text(path.read_text().replace("current,", "current,Seen again"))
    assert reimport().updated == 1
    row = db.execute("SELECT status, note FROM observations WHERE id = ?", [obs_id]).fetchone()
    assert tuple(row) == ("refuted", "Seen again")
