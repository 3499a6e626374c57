"""Every table of the application, for migrations and schema checks: import each models module."""
from service.models import Base

metadata = Base.metadata
