"""efootprint.builders.hardware.storage_defaults (efootprint 8), as seed 000 imports it."""
from efp_tables.efootprint._classes import default_hdd, default_ssd  # noqa: F401
