"""efootprint.builders.time_builders, as the seeds import it (efp_tables.builders.time_series underneath)."""
from efp_tables.efootprint._classes import (create_hourly_usage_df_from_list, daily_fluct_hourly_values,  # noqa: F401
                                            linear_growth_hourly_values, sinusoidal_fluct_hourly_values)
