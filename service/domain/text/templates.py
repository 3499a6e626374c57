"""Customer-text placeholders: ``{{first_name}}``, ``{{incident_title}}``, ``{{status_time}}`` ...

Unknown placeholders are left as written, so a typo shows up in the preview instead of
silently vanishing; values are inserted as plain text in any script (RTL included).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


def render(template: str, values: Mapping[str, object]) -> str:
    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values and values[key] is not None else match.group(0)

    return PLACEHOLDER.sub(substitute, template)


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def first_name(full_name: str) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else ""
