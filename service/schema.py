"""Every table of the application, for migrations and schema checks: import each models module."""

import service.incidents.backfill_models
import service.merging.models
import service.outreach.models
import service.reconcile.models
import service.sources.models
import service.triage.models  # noqa: F401
from service.models import Base

metadata = Base.metadata
