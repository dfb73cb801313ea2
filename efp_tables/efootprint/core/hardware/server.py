"""efootprint.core.hardware.server, as the seeds import it."""
from efp_tables.efootprint._classes import Server, ServerTypes  # noqa: F401
