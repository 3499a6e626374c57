"""Per-customer results of a bulk job: one refused customer is retried, then reported, and never
holds up the others; a job the helpdesk no longer knows sends its customers to a lookup."""

from sqlalchemy import select

from integrations.base import JobItemResult, JobResult
from service.domain.incidents import clean_draft
from service.incidents.store import declare_incident
from service.outreach import settle, store
from service.outreach.models import Campaign, Recipient, SendJob
from service.wiring import build_services
from tests.conftest import make_settings


def _queued(db, count: int) -> SendJob:
    with db.transaction() as session:
        incident = declare_incident(
            session, None, clean_draft("Outage", ["down"], {"en": "Down."}), actor="t"
        )
        campaign = Campaign(
            incident_id=incident.id, name="c", messages={}, tags=[], opt_out_emails=[], audience_report={}
        )
        session.add(campaign)
        session.flush()
        ids = []
        for n in range(count):
            r = Recipient(
                campaign_id=campaign.id,
                incident_id=incident.id,
                customer_key=f"p{n}@x.com",
                external_id=store.external_id_for(incident.id, f"p{n}@x.com"),
                email=f"p{n}@x.com",
                fields={},
                state="queued",
                job_id="V3-job",
                attempts=1,
            )
            session.add(r)
            session.flush()
            ids.append(r.id)
        job = SendJob(job_id="V3-job", campaign_id=campaign.id, kind="create", recipient_ids=ids)
        session.add(job)
        return job


def _states(db) -> list[tuple]:
    with db.transaction() as session:
        recipients = session.scalars(select(Recipient).order_by(Recipient.id))
        return [(r.state, r.ticket_id, bool(r.last_error)) for r in recipients]


def test_a_refused_customer_is_retried_and_the_others_are_sent(database_url):
    db = build_services(make_settings(database_url), helpdesk=object()).db
    job = _queued(db, 3)
    result = JobResult(
        id="V3-job",
        status="completed",
        results=(
            JobItemResult(ticket_id=11, success=True, index=0),
            JobItemResult(
                ticket_id=None, success=False, error="RecordInvalid: Requester is invalid", index=1
            ),
            JobItemResult(ticket_id=13, success=True, index=2),
        ),
    )
    with db.transaction() as session:
        assert settle.record_job(session, session.get(SendJob, job.job_id), result, 5.0) == (2, 1)
    assert _states(db) == [("sent", 11, False), ("pending", None, True), ("sent", 13, False)]


def test_after_the_last_attempt_the_customer_is_reported_failed(database_url):
    db = build_services(make_settings(database_url), helpdesk=object()).db
    job = _queued(db, 1)
    with db.transaction() as session:
        session.execute(Recipient.__table__.update().values(attempts=settle.MAX_ATTEMPTS))
        result = JobResult(
            id="V3-job",
            status="completed",
            results=(JobItemResult(ticket_id=None, success=False, error="invalid", index=0),),
        )
        settle.record_job(session, session.get(SendJob, job.job_id), result, 5.0)
    assert _states(db) == [("failed", None, True)]


def test_a_failed_job_or_an_unknown_one_leads_to_a_lookup(database_url):
    db = build_services(make_settings(database_url), helpdesk=object()).db
    job = _queued(db, 2)
    with db.transaction() as session:
        result = JobResult(
            id="V3-job", status="failed", results=(JobItemResult(ticket_id=21, success=True, index=0),)
        )
        settle.record_job(session, session.get(SendJob, job.job_id), result, 5.0)
    assert _states(db) == [("sent", 21, False), ("uncertain", None, True)]
    with db.transaction() as session:
        session.execute(Recipient.__table__.update().values(state="queued"))
        assert settle.lose_job(session, session.get(SendJob, job.job_id), 5.0) == 2
    assert [s for s, _, _ in _states(db)] == ["uncertain", "uncertain"]
