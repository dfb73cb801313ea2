"""efootprint.core.hardware.network, as the seeds import it."""
from efp_tables.efootprint._classes import Network  # noqa: F401
