"""efootprint.constants.countries, with efootprint 9.0.0 countries (France at 85 g/kWh)."""
from efp_tables.efootprint._classes import Countries  # noqa: F401
