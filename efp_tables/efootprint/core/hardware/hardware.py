"""efootprint.core.hardware.hardware (efootprint 9: devices are Hardware)."""
from efp_tables.efootprint._classes import Hardware  # noqa: F401
