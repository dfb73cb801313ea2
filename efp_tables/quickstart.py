"""The seeds' quickstart (video streaming for French households) built with the Python API, efootprint 27 names."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from efp_tables.builders.api import (Countries, Device, Job, Network, Server, Storage, System, UsageJourney,
                                     UsageJourneyStep, UsagePattern, VideoStreaming, VideoStreamingJob)
from efp_tables.builders.time_series import (daily_fluct_hourly_values, linear_growth_hourly_values,
                                             sinusoidal_fluct_hourly_values)


def quickstart_system() -> System:
    storage = Storage("SSD storage", carbon_footprint_manufacturing_per_storage_capacity="160 kg/TB_stored",
                      storage_capacity="1 TB_stored", data_replication_factor=3, data_storage_duration="2 year",
                      base_storage_need="100 TB_stored", lifespan="6 year")
    server = Server("server", server_type="autoscaling", carbon_footprint_manufacturing="600 kg", power="300 W",
                    lifespan="6 year", idle_power="50 W", ram="128 GB_ram", compute="24 cpu_core",
                    power_usage_effectiveness=1.2, average_carbon_intensity="100 g/kWh", utilization_rate=0.9,
                    base_ram_consumption="300 MB_ram", base_compute_consumption="2 cpu_core", storage=storage)
    video_service = VideoStreaming("Video streaming service", server=server, base_ram_consumption="2 GB_ram",
                                   bits_per_pixel="0.1 bit", static_delivery_cpu_cost="4 cpu_core * s / GB",
                                   ram_buffer_per_user="50 MB_ram")
    streaming_job = VideoStreamingJob("streaming job", service=video_service, resolution="1080p (1920 x 1080)",
                                      video_duration="20 min", refresh_rate="30 / s", data_stored="0 MB_stored")
    streaming = Job("streaming", server=server, data_transferred="0.05 MB", data_stored="0.05 MB_stored",
                    request_duration="4 min", compute_needed="1 cpu_core", ram_needed="50 MB_ram")
    upload = Job("video upload", server=server, data_transferred="20 MB", data_stored="20 MB_stored",
                 request_duration="2 s", compute_needed="1 cpu_core", ram_needed="50 MB_ram")
    streaming_step = UsageJourneyStep("20 min streaming", user_time_spent="20 min", jobs=[streaming, streaming_job])
    upload_step = UsageJourneyStep("1 min video capture then upload", user_time_spent="70 s", jobs=[upload])
    journey = UsageJourney("Mean video consumption user journey", uj_steps=[streaming_step, upload_step])

    start = datetime(2025, 1, 1)
    starts = ((linear_growth_hourly_values("3 year", 5000, 100000, start)
               + sinusoidal_fluct_hourly_values("3 year", 3000, 3 * 30 * 24, start))
              * daily_fluct_hourly_values("3 year", 0.8, 4, start))
    pattern = UsagePattern("Daily video streaming consumption", hourly_occurrences=starts,
                           usage_journeys=[journey], devices=[Device.laptop()],
                           network=Network("WIFI network", bandwidth_energy_intensity="0.05 kWh/GB"),
                           country=Countries.FRANCE())
    return System("System", usage_patterns=[pattern])


def run_quickstart(out: Path) -> list[str]:
    """Build, compute, write results.parquet and the footprint chart (HTML and PNG); returns lines to print."""
    from efp_tables.io.results_table import write_parquet_atomic
    from efp_tables.outputs.charts import footprint_by_category_and_object, save_chart

    system = quickstart_system()
    results = system.compute()
    long = results.long().drop("system_id")
    written = [write_parquet_atomic(long, out / "results.parquet")]
    by_object = results.collected["footprint_by_object"]
    names = long.select("object_id", "object_name").unique().with_columns(system_id=pl.lit(system.id))
    chart = footprint_by_category_and_object(by_object, names)
    written += [save_chart(chart, out / "footprint_by_category_and_object.html"),
                save_chart(chart, out / "footprint_by_category_and_object.png")]
    totals = by_object.group_by("category", "phase").agg((pl.col("value").sum() / 1000).alias("t")).sort("category", "phase")
    lines = [f"{row['category']:8s} {row['phase']:13s} {row['t']:12,.1f} t CO2e" for row in totals.iter_rows(named=True)]
    lines.append(f"{'Total':22s} {by_object['value'].sum() / 1000:12,.1f} t CO2e")
    lines += [f"wrote {path}" for path in written]
    return lines
