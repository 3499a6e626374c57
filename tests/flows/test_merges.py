"""Duplicate merging end to end: sandbox -> signed webhook -> inbox -> workers -> zenpy merge."""

import threading

import pytest
import requests
from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from service import clock
from service.inbox.worker import Worker
from service.merging import store
from service.merging.models import Merge, MergeRefusal
from service.models import AuditEntry, InboxDelivery
from tests.factories import declare_checkout_incident
from tests.helpers import start_service, wait_for


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def settled(services) -> bool:
    with services.db.transaction() as session:
        busy = session.scalar(
            select(func.count())
            .select_from(InboxDelivery)
            .where(InboxDelivery.state.in_(("pending", "leased")))
        )
        total = session.scalar(select(func.count()).select_from(InboxDelivery))
    return bool(total) and busy == 0


def merges(services) -> list[Merge]:
    with services.db.transaction() as session:
        return list(session.scalars(select(Merge).order_by(Merge.id)))


def refusals(services) -> list[MergeRefusal]:
    with services.db.transaction() as session:
        return list(session.scalars(select(MergeRefusal).order_by(MergeRefusal.id)))


def linked(running, ticket_id, tag) -> bool:
    return tag in running.ticket(ticket_id)["tags"]


def test_email_and_chat_from_one_user_are_merged_into_the_older_ticket(running):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    merged_before = REGISTRY.get_sample_value("incidentdesk_merges_total", {"by": "incidentdesk"}) or 0
    first = running.create_ticket("Checkout fails when I pay", via="email")
    wait_for(lambda: linked(running, first, tag))
    requests.post(f"{running.sandbox_url}/_sandbox/counters/reset", timeout=5).raise_for_status()
    second = running.create_ticket("hi, the checkout still fails for me", subject="Chat", via="chat")

    wait_for(lambda: running.ticket(second)["status"] == "closed")
    wait_for(lambda: settled(running.services))
    calls = requests.get(f"{running.sandbox_url}/_sandbox/counters", timeout=5).json()["calls"]
    # Whether an agent replied is read of the source alone (one comments call), not its target.
    assert calls["GET /api/v2/tickets/{id}/comments"] == 1
    assert REGISTRY.get_sample_value("incidentdesk_merges_total", {"by": "incidentdesk"}) == merged_before + 1
    [merge] = merges(running.services)
    assert (merge.source_ticket_id, merge.target_ticket_id, merge.state) == (second, first, "merged")
    assert merge.incident_id == incident_id and merge.reason == "same_incident"
    assert running.ticket(first)["status"] != "closed" and tag not in running.ticket(second)["tags"]
    source_comments = running.comments(second)
    assert f"#{first}" in source_comments[-1]["body"] and source_comments[-1]["public"]
    assert f"#{second}" in running.comments(first)[-1]["body"]
    with running.services.db.transaction() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.merged")).one()
        assert audit.detail["source_ticket_id"] == second and audit.detail["target_ticket_id"] == first
        assert audit.detail["requester_id"] == running.ticket(first)["requester_id"]
        assert audit.detail["match"] == "same_incident" and "similarity" in audit.detail


def test_merge_comments_are_in_the_requesters_language(running):
    _, tag, _ = declare_checkout_incident(running.services)
    first = running.create_ticket(
        "התשלום באתר לא עובד", name="נועה כהן", email="noa@example.com", locale="he"
    )
    wait_for(lambda: linked(running, first, tag))
    second = running.create_ticket(
        "עדיין התשלום לא עובד", name="נועה כהן", email="noa@example.com", locale="he", via="chat"
    )
    wait_for(lambda: running.ticket(second)["status"] == "closed")
    assert running.comments(second)[-1]["body"].startswith("שלום נועה, איחדנו את הפנייה")
    assert running.comments(first)[-1]["body"].startswith(f"הפנייה שלך #{second}")
    assert merges(running.services)[0].locale == "he"


def test_similar_text_from_two_users_is_not_merged(running):
    _, tag, _ = declare_checkout_incident(running.services)
    first = running.create_ticket("Checkout fails when I pay for my order", email="dana@example.com")
    wait_for(lambda: linked(running, first, tag))
    second = running.create_ticket(
        "Checkout fails when I pay for my order", name="Omer Katz", email="omer@example.com"
    )
    wait_for(lambda: linked(running, second, tag))
    wait_for(lambda: settled(running.services))
    assert merges(running.services) == [] and refusals(running.services) == []  # strangers are not compared
    assert running.ticket(first)["status"] != "closed" and running.ticket(second)["status"] != "closed"


def _colleagues(running) -> int:
    """Two users of one organisation; returns the organisation's id."""
    answer = running.api.post(
        f"{running.sandbox_url}/api/v2/organizations.json",
        json={"organization": {"name": "Sports Club"}},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    org_id = answer.json()["organization"]["id"]
    for name, email in (("Dana Levi", "dana@club.example"), ("Omer Katz", "omer@club.example")):
        user = running.api.post(
            f"{running.sandbox_url}/api/v2/users.json",
            json={"user": {"name": name, "email": email, "organization_id": org_id}},
            timeout=10,
        )
        assert user.status_code == 201, user.text
    return org_id


def test_colleagues_writing_alike_are_refused_and_the_refusal_recorded(running):
    _colleagues(running)
    _, tag, _ = declare_checkout_incident(running.services)
    first = running.create_ticket("Checkout fails when I pay for our club order", email="dana@club.example")
    wait_for(lambda: linked(running, first, tag))
    second = running.create_ticket(
        "Checkout fails when I pay for our club order", name="Omer Katz", email="omer@club.example"
    )
    wait_for(lambda: linked(running, second, tag))
    wait_for(lambda: settled(running.services))
    assert merges(running.services) == []
    [refusal] = refusals(running.services)
    assert (refusal.ticket_id, refusal.other_ticket_id, refusal.reason) == (
        second,
        first,
        "different requesters",
    )
    assert refusal.evidence["similarity"] > 0.9


def test_an_allowed_organisation_merges_across_requesters_with_private_comments_only(running):
    org_id = _colleagues(running)
    with running.services.db.transaction() as session:
        store.save_settings(session, None, {"cross_requester_org_ids": [org_id]})
    first = running.create_ticket(
        "Our club order 7731 was charged twice, please refund one payment",
        subject="Charged twice",
        email="dana@club.example",
    )
    wait_for(lambda: settled(running.services))
    second = running.create_ticket(
        "Our club order 7731 was charged twice, please refund one payment!",
        subject="Charged twice",
        name="Omer Katz",
        email="omer@club.example",
    )
    wait_for(lambda: running.ticket(second)["status"] == "closed")
    [merge] = merges(running.services)
    assert (merge.source_ticket_id, merge.target_ticket_id, merge.public) == (second, first, False)
    assert merge.evidence["cross_requester_org_id"] == org_id
    assert not running.comments(second)[-1]["public"] and not running.comments(first)[-1]["public"]


def test_a_closed_older_ticket_is_not_a_merge_target(running):
    _, tag, _ = declare_checkout_incident(running.services)
    first = running.create_ticket("Checkout fails when I pay")
    wait_for(lambda: linked(running, first, tag))
    answer = running.api.post(
        f"{running.sandbox_url}/_sandbox/tickets/{first}/agent_update",
        json={"ticket": {"status": "closed"}},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    second = running.create_ticket("checkout still fails", via="chat")
    wait_for(lambda: linked(running, second, tag))
    wait_for(lambda: settled(running.services))
    assert merges(running.services) == []
    assert running.ticket(second)["status"] != "closed"
    assert any(
        r.ticket_id == second and r.other_ticket_id == first and "closed" in r.reason
        for r in refusals(running.services)
    )


def test_double_submit_without_an_incident_is_merged_by_text_similarity(running):
    body = (
        "Hello, my parcel with the tennis racket (order 55120) never arrived and tracking has said "
        "'in transit' for nine days. Can you check?"
    )
    first = running.create_ticket(body, subject="Parcel missing")
    wait_for(lambda: settled(running.services))
    second = running.create_ticket(
        body.replace("tracking", "trackng") + "\n\nSent from my iPhone", subject="Parcel missing"
    )
    wait_for(lambda: running.ticket(second)["status"] == "closed")
    [merge] = merges(running.services)
    assert (merge.source_ticket_id, merge.target_ticket_id, merge.reason) == (
        second,
        first,
        "near_duplicate_text",
    )
    assert merge.incident_id is None and merge.evidence["similarity"] >= 0.7


def test_intermediary_tickets_are_grouped_not_merged(running):
    with running.services.db.transaction() as session:
        store.save_settings(session, None, {"intermediary_tags": ["reseller"]})
    reseller = running.api.post(
        f"{running.sandbox_url}/api/v2/users.json",
        json={"user": {"name": "Shop Partner", "email": "partner@reseller.example", "tags": ["reseller"]}},
        timeout=10,
    )
    assert reseller.status_code == 201, reseller.text
    _, tag, _ = declare_checkout_incident(running.services)
    first = running.create_ticket(
        "Checkout fails for my client A", name="Shop Partner", email="partner@reseller.example"
    )
    wait_for(lambda: linked(running, first, tag))
    second = running.create_ticket(
        "Checkout fails for my client B", name="Shop Partner", email="partner@reseller.example"
    )
    wait_for(lambda: linked(running, second, tag))
    wait_for(lambda: settled(running.services))
    assert merges(running.services) == []
    [group] = refusals(running.services)
    assert group.kind == "grouped" and "intermediary" in group.reason and group.other_ticket_id == first


def test_concurrent_and_replayed_deliveries_give_one_merge_into_one_target(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk, worker=False, worker_batch_size=1)
    try:
        requests.post(f"{sandbox.url}/_sandbox/webhook_options", json={"duplicate": 1.0}, timeout=5)
        _, tag, _ = declare_checkout_incident(running.services)
        first = running.create_ticket("Checkout fails when I pay", via="email")
        second = running.create_ticket("checkout fails when I pay!!", via="chat")
        third = running.create_ticket("checkout is failing, can't pay", via="web")
        wait_for(lambda: _count_deliveries(running.services) >= 3)

        stop = threading.Event()
        workers = [
            threading.Thread(
                target=Worker(running.services, name=f"w{i}").run_forever, args=(stop,), daemon=True
            )
            for i in range(2)
        ]
        for worker in workers:
            worker.start()
        try:
            wait_for(
                lambda: len([m for m in merges(running.services) if m.state == "merged"]) == 2, timeout=30
            )
            wait_for(lambda: settled(running.services), timeout=30)
            with running.services.db.transaction() as session:  # replay every delivery
                session.execute(update(InboxDelivery).values(state="pending", available_at=clock.now()))
            wait_for(lambda: settled(running.services), timeout=30)
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=30)

        done = merges(running.services)
        assert sorted(m.source_ticket_id for m in done) == [second, third]
        assert {m.target_ticket_id for m in done} == {first}
        assert [running.ticket(t)["status"] for t in (second, third)] == ["closed", "closed"]
        assert tag in running.ticket(first)["tags"]
        merge_notes = [c for c in running.comments(first) if "was combined into this one" in c["body"]]
        assert len(merge_notes) == 2
        with running.services.db.transaction() as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ticket.merged")
                )
                == 2
            )
    finally:
        running.stop()


def _count_deliveries(services) -> int:
    with services.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(InboxDelivery))


def test_a_merge_job_still_running_is_settled_when_the_delivery_is_retried(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk, job_timeout_seconds=0.5)
    try:
        _, tag, _ = declare_checkout_incident(running.services)
        first = running.create_ticket("Checkout fails when I pay")
        wait_for(lambda: linked(running, first, tag))
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 1.5}, timeout=5)
        second = running.create_ticket("checkout still fails", via="chat")

        wait_for(lambda: any(m.state == "merged" for m in merges(running.services)), timeout=30)
        [merge] = merges(running.services)
        assert (merge.source_ticket_id, merge.target_ticket_id, merge.job_id is not None) == (
            second,
            first,
            True,
        )
        assert running.ticket(second)["status"] == "closed"
        with running.services.db.transaction() as session:
            errors = session.scalars(
                select(InboxDelivery.last_error).where(InboxDelivery.ticket_id == second)
            )
            assert any(e and "still" in e for e in errors)  # the first attempt saw the job unfinished
            assert (
                session.scalar(
                    select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ticket.merged")
                )
                == 1
            )
    finally:
        running.stop()


def test_a_failed_merge_is_reported_and_the_ticket_still_answered(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        _, tag, _ = declare_checkout_incident(running.services)
        first = running.create_ticket("Checkout fails when I pay")
        wait_for(lambda: linked(running, first, tag))
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 1.0}, timeout=5)
        second = running.create_ticket("checkout still fails", via="chat")
        wait_for(lambda: merges(running.services), interval=0.01)
        running.api.delete(f"{sandbox.url}/api/v2/tickets/{first}.json", timeout=5)  # the target vanishes

        wait_for(lambda: linked(running, second, tag), timeout=30)
        assert merges(running.services) == [] and running.ticket(second)["status"] != "closed"
        [failure] = [r for r in refusals(running.services) if r.kind == "failed"]
        assert (failure.ticket_id, failure.other_ticket_id) == (second, first) and "failed" in failure.reason
        with running.services.db.transaction() as session:
            audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge.failed")).one()
            assert audit.detail["target_ticket_id"] == first
    finally:
        running.stop()


def test_the_candidate_index_forgets_tickets_older_than_every_window(database_url):
    from datetime import timedelta

    from service.db import Database
    from service.domain.merging.duplicates import Fingerprint
    from service.merging.models import MergeBand, MergeIndexEntry

    db = Database(database_url)
    try:
        fingerprint = Fingerprint.of("My parcel 55120 never arrived, tracking says in transit")
        with db.transaction() as session:
            store.index_tickets(
                session,
                [
                    store.Indexed(
                        ticket_id=ticket_id,
                        requester_id=7,
                        organization_id=None,
                        incident_id=None,
                        created_at=clock.now() - timedelta(days=days),
                        fingerprint=fingerprint,
                        since=clock.now(),
                    )
                    for ticket_id, days in ((1, 40), (2, 1))
                ],
            )
        with db.transaction() as session:
            store.prune_index(session, clock.now() - timedelta(days=31))
        with db.transaction() as session:
            assert session.scalars(select(MergeIndexEntry.ticket_id)).all() == [2]
            assert set(session.scalars(select(MergeBand.ticket_id))) == {2}
    finally:
        db.dispose()


def test_a_ticket_an_agent_already_answered_publicly_is_not_merged(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk, worker=False)
    try:
        _, tag, _ = declare_checkout_incident(service.services)
        agent = service.api.post(
            f"{sandbox.url}/api/v2/users.json",
            timeout=5,
            json={"user": {"name": "Agent Avi", "email": "avi@shop.example", "role": "agent"}},
        ).json()["user"]["id"]
        first = service.create_ticket("Checkout fails when I pay", via="email")
        second = service.create_ticket("hi, the checkout still fails for me", subject="Chat", via="chat")
        service.api.put(
            f"{sandbox.url}/api/v2/tickets/{second}.json",
            timeout=5,
            json={
                "ticket": {
                    "comment": {"body": "Looking into it for you now.", "public": True, "author_id": agent}
                }
            },
        )
        service.start_worker()
        wait_for(lambda: settled(service.services) and linked(service, second, tag))
        assert merges(service.services) == []
        [refusal] = [r for r in refusals(service.services) if r.ticket_id == second]
        assert "agent" in refusal.reason and refusal.other_ticket_id == first
        assert service.ticket(second)["status"] != "closed" and linked(service, first, tag)
    finally:
        service.stop()
