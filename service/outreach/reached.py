"""Which customers of a batch outreach already reached, and with what: for the internal note's
"customer at a glance" (one query per batch, whatever its size)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.domain.linking.glance import Reached
from service.domain.outreach.audience import customer_key
from service.outreach.models import Campaign, Recipient


def reached_requesters(
    session: Session, incident_ids: Iterable[int], requesters: Mapping[int, str | None]
) -> dict[int, dict[int, tuple[Reached, ...]]]:
    """Requester id -> incident id -> the campaigns that reached them (sent), with the code each
    gave. A requester is found by their helpdesk id or by their e-mail (a CSV audience)."""
    incidents = list(incident_ids)
    if not incidents or not requesters:
        return {}
    by_email = {customer_key(email): requester for requester, email in requesters.items() if email}
    rows = session.execute(
        select(
            Recipient.helpdesk_user_id,
            Recipient.customer_key,
            Recipient.incident_id,
            Campaign.name,
            Recipient.coupon_code,
        )
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(
            Recipient.incident_id.in_(incidents),
            Recipient.state == "sent",
            or_(Recipient.helpdesk_user_id.in_(list(requesters)), Recipient.customer_key.in_(list(by_email))),
        )
        .order_by(Recipient.id)
    )
    found: dict[int, dict[int, tuple[Reached, ...]]] = {}
    for user_id, key, incident_id, campaign, coupon in rows:
        requester = user_id if user_id in requesters else by_email.get(key)
        if requester is None:
            continue
        per_incident = found.setdefault(requester, {})
        per_incident[incident_id] = (*per_incident.get(incident_id, ()), Reached(campaign, coupon))
    return found
