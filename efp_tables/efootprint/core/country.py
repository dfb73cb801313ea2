"""efootprint.core.country."""
from efp_tables.efootprint._classes import Country  # noqa: F401
