"""efootprint.core.hardware.servers.serverless (efootprint 8)."""
from efp_tables.efootprint._classes import Serverless  # noqa: F401
