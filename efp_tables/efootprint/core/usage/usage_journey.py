"""efootprint.core.usage.usage_journey (efootprint 9)."""
from efp_tables.efootprint._classes import UsageJourney  # noqa: F401
