"""The one error hierarchy. The web layer maps it once: ``InvalidInput`` to 422 (with the fields
to fix), ``Conflict`` to 409, ``NotFound`` to 404. The helpdesk port keeps its own
(``integrations.base.HelpdeskError``), because integrations never import the service."""

from __future__ import annotations

from collections.abc import Mapping


class IncidentDeskError(Exception):
    """Something the caller can act on; the message says what."""


class InvalidInput(IncidentDeskError, ValueError):
    """What was sent cannot be used; the message says what to fix. Subclasses that know which
    fields are wrong set ``errors``: a field name to its message, its messages, or (for a nested
    field) the same again."""

    errors: Mapping[str, object] = {}

    @property
    def fields(self) -> dict[str, object]:
        """Each wrong field with what to fix, as the caller will be shown it."""
        return dict(self.errors)


class Conflict(IncidentDeskError, ValueError):
    """The request is well formed but the current state does not allow it now."""


class NotFound(IncidentDeskError, LookupError):
    """The thing named does not exist (or is not visible to the caller)."""
