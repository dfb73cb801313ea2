"""efootprint.core.hardware.servers.autoscaling (efootprint 8), as seed 000 imports it."""
from efp_tables.efootprint._classes import Autoscaling  # noqa: F401
