"""What the pipeline knows about a batch once it has loaded it; handed to every stage."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.base import HelpdeskOrganization, HelpdeskTicket, HelpdeskUser
from service.domain.facts import IncidentFacts, TicketFacts


@dataclass(frozen=True)
class BatchContext:
    tickets: dict[int, HelpdeskTicket]
    facts: dict[int, TicketFacts]
    users: dict[int, HelpdeskUser]
    organizations: dict[int, HelpdeskOrganization]
    incidents: dict[int, IncidentFacts]
    known_links: dict[int, frozenset[int]]  # ticket id -> incidents it is (or was) linked to
    delivery_ids: dict[int, list[int]]      # ticket id -> the inbox deliveries about it
