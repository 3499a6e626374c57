"""VIP customers' outreach tickets get the campaign's priority. Creating tickets cannot carry a
priority through the helpdesk port (``NewTicket`` has none), so once a create job has finished,
one bulk update raises the priority of the VIPs' new tickets; it is sent before the job's
results are recorded, so a crash in between repeats it (harmlessly) rather than losing it."""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import select

from integrations.base import JobResult, TicketChange
from service.db import Database
from service.domain.outreach_audience import Customer
from service.outreach.models import Campaign, Recipient, SendJob

TRUE_WORDS = frozenset({"1", "yes", "true", "y", "x", "vip"})


def is_vip(customer: Customer, vip_tag: str) -> bool:
    """Tagged as VIP in the helpdesk, or marked in a ``vip`` column of the CSV."""
    if vip_tag and vip_tag in customer.tags:
        return True
    return dict(customer.fields).get("vip", "").strip().lower() in TRUE_WORDS


def priority_changes(db: Database, jobs: Iterable[SendJob], results: Mapping[str, JobResult]) -> list[TicketChange]:
    finished = {j.job_id: j for j in jobs if j.kind == "create" and j.job_id in results and results[j.job_id].finished}
    if not finished:
        return []
    with db.transaction() as session:
        rows = session.execute(select(Recipient.id, Recipient.job_id, Campaign.vip_priority)
                               .join(Campaign, Campaign.id == Recipient.campaign_id)
                               .where(Recipient.job_id.in_(list(finished)), Recipient.vip.is_(True),
                                      Recipient.state == "queued", Campaign.vip_priority.is_not(None))).all()
    changes = []
    for recipient_id, job_id, priority in rows:
        position = finished[job_id].recipient_ids.index(recipient_id)
        items = {item.index if item.index is not None else i: item for i, item in enumerate(results[job_id].results)}
        item = items.get(position)
        if item is not None and item.success and item.ticket_id:
            changes.append(TicketChange(ticket_id=item.ticket_id, priority=priority))
    return changes
