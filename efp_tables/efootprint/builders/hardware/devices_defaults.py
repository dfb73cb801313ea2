"""efootprint.builders.hardware.devices_defaults (efootprint 8), as seed 000 imports it."""
from efp_tables.efootprint._classes import default_box, default_laptop, default_screen, default_smartphone  # noqa: F401
