"""efootprint.core.usage.usage_pattern, as the seeds import it."""
from efp_tables.efootprint._classes import UsagePattern  # noqa: F401
