"""efootprint.core.usage.job, as the seeds import it."""
from efp_tables.efootprint._classes import Job  # noqa: F401
