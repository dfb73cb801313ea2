"""efootprint.core.hardware.storage, as the seeds import it."""
from efp_tables.efootprint._classes import Storage  # noqa: F401
