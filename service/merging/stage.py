"""The pipeline's duplicate stage: merge duplicates before anything is answered."""
from __future__ import annotations

from service import Services
from service.domain.decisions import Decision
from service.pipeline_context import BatchContext


class MergeStage:
    def __init__(self, services: Services):
        self.services = services

    def review(self, batch: BatchContext, decisions: dict[int, Decision], owner: str) -> dict[int, Decision]:
        """Merge what should be merged; return the decisions for every ticket of the batch, with
        merged tickets' decisions replaced by ``LeaveAlone`` saying where they went."""
        return decisions
