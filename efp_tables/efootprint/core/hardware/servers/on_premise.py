"""efootprint.core.hardware.servers.on_premise (efootprint 8)."""
from efp_tables.efootprint._classes import OnPremise  # noqa: F401
