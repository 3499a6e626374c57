"""Campaign use cases shared by the admin UI and the REST API: create, set the audience, attach
coupons, launch/pause/resume/cancel, progress and per-customer results."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort
from service import clock
from service.audit import record
from service.domain.errors import Conflict
from service.domain.outreach import coupons
from service.domain.outreach.audience import Audience, combine, is_vip
from service.domain.outreach.exclusions import EXISTING_TICKET, NEW_TICKET, route
from service.domain.outreach.messages import InvalidMessages, Message, unsendable
from service.domain.outreach.purposes import (
    NOTICE,
    answers_on_their_ticket,
    external_id_suffix,
    may_reach_everyone_affected,
)
from service.domain.outreach.state import CANCELLED, STATE_NAMES, TransitionRefused, editable, next_state
from service.models import Incident
from service.outreach.audience import (
    affected_customers,
    linked_requesters,
    opted_out_by_tag,
    search_customers,
)
from service.outreach.models import Campaign, Coupon, Exclusion, Recipient, SendJob
from service.outreach.refusals import (
    COUPONS_SHORT,
    EVERYONE_AFFECTED_AFTERWARDS,
    NO_AUDIENCE,
    NO_MESSAGE,
    ONLY_DRAFTS_CHANGE,
    SHADOW_INCIDENT,
    TAKEN_MEANWHILE,
)

REPORT_LIST_LIMIT = 200
IN_PROGRESS = ("pending", "sending", "queued", "uncertain")


class CampaignConflict(Conflict):
    """The request is fine but the campaign's state (or another campaign) does not allow it now."""


def external_id_for(incident_id: int, customer_key: str, purpose: str = NOTICE) -> str:
    digest = hashlib.sha256(customer_key.encode()).hexdigest()[:32]
    return f"incidentdesk-outreach-{incident_id}-{digest}{external_id_suffix(purpose)}"


def create_campaign(session: Session, incident_id: int, actor: str, **options) -> Campaign:
    campaign = Campaign(incident_id=incident_id, created_by=actor, audience_report={}, **options)
    session.add(campaign)
    session.flush()
    record(
        session,
        "outreach.campaign_created",
        actor=actor,
        incident_id=incident_id,
        detail={"campaign_id": campaign.id, "name": campaign.name},
    )
    return campaign


def stored_messages(campaign: Campaign) -> dict[str, Message]:
    return {
        locale: Message(m.get("subject", ""), m.get("body", ""))
        for locale, m in (campaign.messages or {}).items()
    }


def fields_everyone_has(session: Session, campaign: Campaign) -> set[str]:
    """The audience's own columns (beyond name, email, locale) that every customer has a value for."""
    common: set[str] | None = None
    for fields in session.scalars(select(Recipient.fields).where(Recipient.campaign_id == campaign.id)):
        present = {name for name, value in (fields or {}).items() if str(value).strip()}
        common = present if common is None else common & present
        if not common:
            return set()
    return common or set()


def campaigns_of(session: Session, incident_id: int) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign).where(Campaign.incident_id == incident_id).order_by(Campaign.id.desc())
        )
    )


def _require_draft(campaign: Campaign) -> None:
    if not editable(campaign.state):
        raise CampaignConflict(ONLY_DRAFTS_CHANGE(state=STATE_NAMES[campaign.state]()))


def _contacted_elsewhere(session: Session, campaign: Campaign) -> dict[str, str]:
    rows = session.execute(
        select(Recipient.customer_key, Campaign.name)
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(
            Recipient.incident_id == campaign.incident_id,
            Recipient.purpose == campaign.purpose,
            Recipient.campaign_id != campaign.id,
        )
    )
    return {key: f"campaign “{name}”" for key, name in rows}


def save_audience(
    session: Session,
    helpdesk: HelpdeskPort,
    campaign: Campaign,
    csv_audience: Audience | None,
    query: str,
    everyone_affected: bool = False,
) -> dict:
    """Replace the draft's audience; the (incident, purpose, customer) keys are taken now, before
    sending. ``everyone_affected`` adds the customers who wrote in and those the notices reached."""
    _require_draft(campaign)
    if everyone_affected and not may_reach_everyone_affected(campaign.purpose):
        raise CampaignConflict(EVERYONE_AFFECTED_AFTERWARDS())
    searched, no_email = search_customers(helpdesk, query) if query else ([], 0)
    if everyone_affected:
        searched = [*searched, *affected_customers(session, helpdesk, campaign.incident_id)]
    audience = combine(csv_audience, searched)
    on_their_ticket = answers_on_their_ticket(campaign.purpose)
    routed = route(
        audience.customers,
        linked_tickets=linked_requesters(session, helpdesk, campaign.incident_id) if on_their_ticket else {},
        opted_out_emails=campaign.opt_out_emails,
        opt_out_tag=campaign.opt_out_tag,
        contacted=_contacted_elsewhere(session, campaign),
        tagged_emails=opted_out_by_tag(helpdesk, campaign.opt_out_tag),
    )
    session.execute(delete(Exclusion).where(Exclusion.campaign_id == campaign.id))
    session.execute(update(Coupon).where(Coupon.campaign_id == campaign.id).values(recipient_id=None))
    session.execute(delete(Recipient).where(Recipient.campaign_id == campaign.id))
    rows = [
        dict(
            campaign_id=campaign.id,
            incident_id=campaign.incident_id,
            purpose=campaign.purpose,
            customer_key=r.customer.key,
            external_id=external_id_for(campaign.incident_id, r.customer.key, campaign.purpose),
            email=r.customer.email,
            name=r.customer.name[:500],
            locale=r.customer.locale[:20],
            external_ref=r.customer.external_ref[:200],
            helpdesk_user_id=r.customer.helpdesk_user_id,
            fields=dict(r.customer.fields),
            vip=is_vip(r.customer, campaign.vip_tag),
            source=r.customer.source,
            route=r.route,
            ticket_id=r.ticket_id,
            state="pending",
            attempts=0,
            available_at=clock.now(),
        )
        for r in routed
        if r.sends
    ]
    try:
        with session.begin_nested():
            if rows:
                session.execute(insert(Recipient), rows)
    except IntegrityError:
        raise CampaignConflict(TAKEN_MEANWHILE()) from None
    excluded = [r for r in routed if not r.sends]
    if excluded:
        session.execute(
            insert(Exclusion),
            [
                dict(campaign_id=campaign.id, email=r.customer.email, reason=r.route, detail=r.reason)
                for r in excluded
            ],
        )
    campaign.search_query = query
    campaign.audience_report = {
        "count": len(rows),
        "on_existing_ticket": sum(r["route"] == EXISTING_TICKET for r in rows),
        "searched": len(searched),
        "search_without_email": no_email,
        "duplicates_removed": len(audience.duplicates),
        "invalid": len(audience.invalid),
        "excluded": len(excluded),
        # Every row, for the results CSV; pages and the API show the first REPORT_LIST_LIMIT.
        "invalid_rows": [asdict(r) for r in audience.invalid],
        "duplicate_rows": [asdict(r) for r in audience.duplicates],
    }
    return campaign.audience_report


def exclusions(session: Session, campaign_id: int, limit: int = REPORT_LIST_LIMIT) -> list[Exclusion]:
    return list(
        session.scalars(
            select(Exclusion).where(Exclusion.campaign_id == campaign_id).order_by(Exclusion.id).limit(limit)
        )
    )


def add_coupon_pool(session: Session, campaign: Campaign, text: str) -> dict:
    _require_draft(campaign)
    codes, problems = coupons.parse_pool(text)
    taken = set(session.scalars(select(Coupon.code).where(Coupon.code.in_(codes)))) if codes else set()
    fresh = [c for c in codes if c not in taken]
    if fresh:
        session.execute(insert(Coupon), [dict(campaign_id=campaign.id, code=c) for c in fresh])
    campaign.coupon_mode = "pool"
    return {
        "added": len(fresh),
        "already_known": len(taken),
        "problems": [{"line": line, "reason": reason} for line, reason in problems[:REPORT_LIST_LIMIT]],
    }


def _assign_coupons(session: Session, campaign: Campaign) -> int:
    needing = list(
        session.scalars(
            select(Recipient.id)
            .where(Recipient.campaign_id == campaign.id, Recipient.coupon_code.is_(None))
            .order_by(Recipient.id)
        )
    )
    if campaign.coupon_mode == "generated":
        existing = set(session.scalars(select(Coupon.code).where(Coupon.campaign_id == campaign.id)))
        new = coupons.generate(campaign.coupon_format, len(needing), existing)
        if new:
            session.execute(insert(Coupon), [dict(campaign_id=campaign.id, code=c) for c in new])
    free = session.execute(
        select(Coupon.id, Coupon.code)
        .where(Coupon.campaign_id == campaign.id, Coupon.recipient_id.is_(None))
        .order_by(Coupon.id)
    ).all()
    if len(free) < len(needing):
        raise CampaignConflict(COUPONS_SHORT(free=len(free), count=len(needing)))
    pairs = list(zip(needing, free[: len(needing)], strict=True))
    if pairs:  # bulk updates by primary key: one statement each, however many customers
        stamp = clock.now()
        session.execute(
            update(Coupon),
            [{"id": c_id, "recipient_id": r_id, "assigned_at": stamp} for r_id, (c_id, _) in pairs],
        )
        session.execute(update(Recipient), [{"id": r_id, "coupon_code": code} for r_id, (_, code) in pairs])
    return len(pairs)


def _reroute_writers(session: Session, helpdesk: HelpdeskPort, campaign: Campaign) -> int:
    """Customers who wrote in since the audience was saved get the message on their own ticket."""
    linked = linked_requesters(session, helpdesk, campaign.incident_id)
    moved = 0
    for key, ticket_id in linked.items():
        moved += session.execute(
            update(Recipient)
            .where(
                Recipient.campaign_id == campaign.id,
                Recipient.customer_key == key,
                Recipient.route == NEW_TICKET,
                Recipient.state == "pending",
            )
            .values(route=EXISTING_TICKET, ticket_id=ticket_id)
        ).rowcount
    return moved


def transition(
    session: Session, helpdesk: HelpdeskPort, campaign: Campaign, action: str, actor: str
) -> Campaign:
    """launch | pause | resume | cancel; refused with the reason when the state does not allow it."""
    try:
        target = next_state(campaign.state, action)
    except TransitionRefused as refused:
        raise CampaignConflict(refused.args[0]) from None
    detail = {"campaign_id": campaign.id, "from": campaign.state, "to": target}
    if action == "launch":
        if not campaign.messages:
            raise CampaignConflict(NO_MESSAGE())
        if session.get(Incident, campaign.incident_id).shadow_mode:
            raise CampaignConflict(SHADOW_INCIDENT())
        if not session.scalar(
            select(func.count()).select_from(Recipient).where(Recipient.campaign_id == campaign.id)
        ):
            raise CampaignConflict(NO_AUDIENCE())
        problems = unsendable(
            stored_messages(campaign),
            with_coupons=campaign.coupon_mode != "none",
            fields=fields_everyone_has(session, campaign),
        )
        if problems:
            raise InvalidMessages({f"messages.{locale}": why for locale, why in problems.items()})
        if campaign.coupon_mode != "none":
            detail["coupons_assigned"] = _assign_coupons(session, campaign)
        if answers_on_their_ticket(campaign.purpose):
            detail["moved_to_own_ticket"] = _reroute_writers(session, helpdesk, campaign)
        campaign.launched_at = clock.now()
    if target == CANCELLED:  # customers with no ticket yet ('pending') are released for a later campaign
        released = session.execute(
            delete(Recipient).where(Recipient.campaign_id == campaign.id, Recipient.state == "pending")
        )
        detail["released"] = released.rowcount
        campaign.finished_at = clock.now()
    campaign.state = target
    record(
        session, f"outreach.campaign_{action}", actor=actor, incident_id=campaign.incident_id, detail=detail
    )
    return campaign


def progress(session: Session, campaign: Campaign) -> dict:
    counts = dict(
        session.execute(
            select(Recipient.state, func.count())
            .where(Recipient.campaign_id == campaign.id)
            .group_by(Recipient.state)
        ).all()
    )
    excluded = session.scalar(
        select(func.count()).select_from(Exclusion).where(Exclusion.campaign_id == campaign.id)
    )
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    queued = sum(counts.get(s, 0) for s in IN_PROGRESS)
    total = sent + failed + queued
    jobs = session.scalar(
        select(func.count())
        .select_from(SendJob)
        .where(SendJob.campaign_id == campaign.id, SendJob.state == "in_flight")
    )
    return {
        "campaign_id": campaign.id,
        "state": campaign.state,
        "total": total,
        "sent": sent,
        "queued": queued,
        "failed": failed,
        "skipped": excluded,
        "jobs_in_flight": jobs,
        "percent": round(100.0 * (sent + failed) / total, 1) if total else 100.0,
    }


RESULT_COLUMNS = (
    "email",
    "name",
    "locale",
    "external_ref",
    "result",  # sent | queued | failed | excluded | duplicate | invalid
    "ticket_id",
    "route",
    "coupon_code",
    "attempts",
    "error",
    "external_id",
    "sent_at",
    "reason",  # why a customer got nothing, or got the message on their own ticket
    "line",  # the row's line in the uploaded CSV
)


def reported_rows(report: dict) -> dict[str, list[dict]]:
    """The audience report's lists as pages and the API show them: the first REPORT_LIST_LIMIT."""
    return {
        **report,
        "invalid_rows": list(report.get("invalid_rows") or [])[:REPORT_LIST_LIMIT],
        "duplicate_rows": list(report.get("duplicate_rows") or [])[:REPORT_LIST_LIMIT],
    }


def result_rows(session: Session, campaign: Campaign):
    """One row per input row, in RESULT_COLUMNS' order: each customer sent, queued or failed;
    each excluded customer; each duplicate and each invalid row of the upload, with the reason."""
    query = select(Recipient).where(Recipient.campaign_id == campaign.id).order_by(Recipient.id)
    for r in session.scalars(query.execution_options(yield_per=1000)):
        result = "queued" if r.state in IN_PROGRESS else r.state
        reason = (
            f"already wrote in: message goes on ticket #{r.ticket_id}" if r.route == EXISTING_TICKET else ""
        )
        yield (
            r.email,
            r.name,
            r.locale,
            r.external_ref,
            result,
            r.ticket_id or "",
            r.route,
            r.coupon_code or "",
            r.attempts,
            r.last_error or "",
            r.external_id,
            r.sent_at,
            reason,
            "",
        )
    for e in session.scalars(
        select(Exclusion).where(Exclusion.campaign_id == campaign.id).order_by(Exclusion.id)
    ):
        yield (e.email, "", "", "", "excluded", "", e.reason, "", 0, "", "", None, e.detail, "")
    report = campaign.audience_report or {}
    for kind, key in (("duplicate", "duplicate_rows"), ("invalid", "invalid_rows")):
        for row in report.get(key) or []:
            line = row.get("line")
            yield (
                row.get("value", ""),
                "",
                "",
                "",
                kind,
                "",
                "",
                "",
                0,
                "",
                "",
                None,
                row.get("reason", ""),
                line or "",
            )
