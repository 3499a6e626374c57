"""Advance due outreach campaigns; called by every worker between inbox batches."""
from __future__ import annotations

from service import Services


class OutreachRunner:
    def __init__(self, services: Services, owner: str):
        self.services = services
        self.owner = owner

    def run_once(self) -> int:
        """Do one bounded step of work on due campaigns; returns how many recipients it handled."""
        return 0
