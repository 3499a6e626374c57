"""Every table of the application, for migrations and schema checks: import each models module."""
from service.models import Base

import service.merging.models  # noqa: F401
import service.outreach.models  # noqa: F401

metadata = Base.metadata
