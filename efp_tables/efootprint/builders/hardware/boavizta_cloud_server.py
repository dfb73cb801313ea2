"""efootprint.builders.hardware.boavizta_cloud_server, offline: instances from data/archetypes."""
from efp_tables.efootprint._classes import BoaviztaCloudServer  # noqa: F401
