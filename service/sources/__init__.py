"""Incident sources: PagerDuty, incident.io, Statuspage and signed JSON senders declare incidents
and post their status here, through the same inbox as the helpdesk's webhooks."""
