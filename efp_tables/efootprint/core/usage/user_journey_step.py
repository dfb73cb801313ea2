"""efootprint.core.usage.user_journey_step (efootprint 8), as the seeds import it."""
from efp_tables.efootprint._classes import UserJourneyStep  # noqa: F401
