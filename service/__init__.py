"""IncidentDesk. Start at ``service.app`` (the Flask app) and ``service.wiring`` (the composition
root); ARCHITECTURE.md maps the rest."""
