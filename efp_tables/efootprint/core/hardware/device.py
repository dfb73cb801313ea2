"""efootprint.core.hardware.device (efootprint 10 on)."""
from efp_tables.efootprint._classes import Device  # noqa: F401
