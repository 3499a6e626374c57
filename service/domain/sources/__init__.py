"""Incident sources, pure: vendor signatures, vendor payloads read into one event shape, and the
decision of what an event does to IncidentDesk's incident."""
