"""efootprint.core.usage.user_journey (efootprint 8), as the seeds import it."""
from efp_tables.efootprint._classes import UserJourney  # noqa: F401
