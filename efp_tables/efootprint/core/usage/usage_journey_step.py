"""efootprint.core.usage.usage_journey_step (efootprint 9)."""
from efp_tables.efootprint._classes import UsageJourneyStep  # noqa: F401
