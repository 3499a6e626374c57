"""Customer-text placeholders: ``{{first_name}}``, ``{{incident_title}}``, ``{{status_time}}`` ...

Unknown placeholders are left as written, so a typo shows up in the preview instead of
silently vanishing; values are inserted as plain text in any script (RTL included).

The helpdesk renders its own placeholders (Liquid: ``{{ticket.latest_comment}}``,
``{% ... %}``) in every comment it is sent, so a value that came from a customer (a name, a CSV
cell) is made inert before it goes in: an invisible zero-width space after each ``{`` and
before each ``}`` of a brace pair, which the reader does not see and the helpdesk does not
execute. Only ``trusted`` values (a helpdesk placeholder IncidentDesk chose itself) go in as
they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


ZERO_WIDTH_SPACE = "\u200b"
# Liquid's markup, and what each becomes once broken.
_LIQUID_MARKUP = {pair: pair[0] + ZERO_WIDTH_SPACE + pair[1] for pair in ("{{", "{%", "%}", "}}")}


def inert(value: str) -> str:
    """``value`` as the helpdesk will show it but never execute."""
    if "{" not in value and "}" not in value:
        return value
    for pair, broken in _LIQUID_MARKUP.items():
        while pair in value:  # "{{{" leaves a new pair behind after one pass
            value = value.replace(pair, broken)
    return value


def render(template: str, values: Mapping[str, object], trusted: Mapping[str, str] | None = None) -> str:
    """Fill ``{{name}}`` placeholders; every value is made inert, ``trusted`` ones excepted."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if trusted and key in trusted:
            return trusted[key]
        return inert(str(values[key])) if key in values and values[key] is not None else match.group(0)

    return PLACEHOLDER.sub(substitute, template)


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def first_name(full_name: str) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else ""
