"""PagerDuty's REST API, as far as IncidentDesk writes to it: notes on an incident."""
