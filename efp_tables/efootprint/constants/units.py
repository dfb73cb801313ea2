"""efootprint.constants.units: the seeds' unit registry (plain bytes, u.core, u.cpu_core)."""
from efp_tables.efootprint._layer import u  # noqa: F401
