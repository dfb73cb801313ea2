"""efootprint.constants.sources."""
from efp_tables.efootprint._layer import Source, Sources  # noqa: F401
