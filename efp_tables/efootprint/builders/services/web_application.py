"""efootprint.builders.services.web_application, as seed 001 imports it (needs from the ecobenchmark table)."""
from efp_tables.efootprint._classes import WebApplication, WebApplicationJob  # noqa: F401
