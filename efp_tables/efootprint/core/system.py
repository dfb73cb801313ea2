"""efootprint.core.system, as the seeds import it."""
from efp_tables.efootprint._classes import System  # noqa: F401
