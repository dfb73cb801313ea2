# %% [markdown]
# # efp_tables quickstart
#
# e-footprint's quickstart notebook, redone with efp_tables' Python API: the daily video consumption of all
# French households on a big streaming platform. You will describe
#
# - the infrastructure (an autoscaling server with its storage, a video streaming service installed on it),
# - the usage journey of two steps (streaming, upload),
# - the usage pattern and the devices that run it (the laptops of all French households),
#
# then look at the results, change the model (numbers and structure), simulate a change from a future date,
# export the model to efootprint 27 JSON and sweep 100 variants of it.
#
# Names are efootprint 27's where e-footprint's notebook used older ones: `UsageJourney` (`UserJourney`),
# `UsageJourneyStep`, `hourly_occurrences` (`hourly_user_journey_starts`), `data_transferred` (`data_upload` +
# `data_download`), `compute` (`cpu_cores`), `use_footprint` (`energy_footprint`).
# This notebook is generated from `examples/quickstart.py` by `scripts/make_notebook.py`; every number it
# shows is checked against efootprint 27's own results in `../shared/reference/`.

# %%
import os
from datetime import datetime
from pathlib import Path

import altair as alt
import polars as pl
from IPython.display import HTML, SVG

import efp_tables
from efp_tables.builders.api import (BoaviztaCloudServer, Countries, Device, GPUJob, GPUServer, Job, ModelingUpdate,
                                     Network, Server, Storage, System, UsageJourney, UsageJourneyStep, UsagePattern,
                                     VideoStreaming, VideoStreamingJob)
from efp_tables.builders.time_series import (daily_fluct_hourly_values, linear_growth_hourly_values,
                                             sinusoidal_fluct_hourly_values)
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.outputs import charts
from efp_tables.outputs.explain import explain, tree_text
from efp_tables.outputs.graphs import calculus_graph_html, object_graph_svg
from efp_tables.sweeps import sweep

# Found from the package, not the working directory: the repository, efootprint's reference results next to it
# (EFP_REFERENCE overrides), and where the notebook writes its charts and exports (EFP_NOTEBOOK_OUT overrides).
ROOT = Path(efp_tables.__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("EFP_REFERENCE", ROOT.parent / "shared" / "reference"))
OUT = Path(os.environ.get("EFP_NOTEBOOK_OUT", ROOT / "examples"))
FIGURES = OUT / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)

# Charts show as PNG images: GitHub displays them and the stored notebook stays small. Comment this line out
# for interactive charts (tooltips) in Jupyter.
alt.renderers.enable("png")


def show(chart, name: str):
    """Save the chart as FIGURES/name.png and return it, to be shown below the cell."""
    charts.save_chart(chart, FIGURES / f"{name}.png")
    return chart


def system_total_kg(long: pl.DataFrame, keep=True) -> float:
    """The System's total footprint (kg) in a long results table, summed over the hours kept."""
    return long.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint")
                       & keep)["value"].sum()


def close(ours: float, theirs: float, rel: float = 1e-6) -> bool:
    return abs(ours - theirs) <= rel * abs(theirs)


reference = pl.read_parquet(REFERENCE / "quickstart.results.parquet")
llm_reference = pl.read_parquet(REFERENCE / "quickstart_llm.results.parquet")
REFERENCE_TOTAL_KG = system_total_kg(reference)
LLM_REFERENCE_TOTAL_KG = system_total_kg(llm_reference)
print(f"efootprint 27: quickstart {REFERENCE_TOTAL_KG:,.0f} kg CO2e, with the LLM step {LLM_REFERENCE_TOTAL_KG:,.0f} kg")

# %% [markdown]
# ## Define the infrastructure
#
# ### Creating objects by hand
# An object has a name and inputs describing its technical and environmental characteristics. Quantities are
# texts with units (or pint quantities), checked when the object is created: storage is counted in
# `TB_stored`, server memory in `GB_ram`, so that a storage need cannot be mistaken for a RAM need.

# %%
storage = Storage(
    "SSD storage",
    carbon_footprint_manufacturing_per_storage_capacity="160 kg/TB_stored",
    storage_capacity="1 TB_stored",
    data_replication_factor=3,
    data_storage_duration="2 year",
    base_storage_need="100 TB_stored",
    lifespan="6 year",
)
storage

# %%
try:
    Storage("bad storage", carbon_footprint_manufacturing_per_storage_capacity="160 kg/TB_stored",
            storage_capacity="1 GB_ram", data_replication_factor=3, data_storage_duration="2 year",
            base_storage_need="100 TB_stored", lifespan="6 year")
except ModelError as error:
    print(error)

# %% [markdown]
# ### Creating objects from default values
# Every class has default values, and `from_defaults(name, **overrides)` creates an object from them, changing
# the inputs given as keyword arguments.

# %%
Storage.default_values()

# %%
print(Storage.from_defaults("2 TB SSD storage", storage_capacity="2 TB_stored"))

# %% [markdown]
# The print shows the inputs, then the calculated attributes: "no value" until a System that holds the object
# is computed.
#
# ### Creating objects from archetypes
# Storage, devices and networks have archetypes, each with its own set of default values and a constructor of
# its own (`Storage.hdd()`, `Device.laptop()`, `Network.wifi_network()`). As in efootprint 27, servers have no
# archetype: their presets come from Boavizta's cloud instances (`BoaviztaCloudServer`, below).

# %%
for cls in (Storage, Device, Network, Server):
    print(f"{cls.__name__}: {sorted(cls.archetypes())}")

# %%
print(Storage.hdd())

# %% [markdown]
# Objects link to other objects: a server stores its data on a storage.

# %%
server = Server.from_defaults(
    "server",
    server_type="autoscaling",
    power_usage_effectiveness=1.2,
    average_carbon_intensity="100 g/kWh",
    utilization_rate=0.9,
    base_ram_consumption="300 MB_ram",
    base_compute_consumption="2 cpu_core",
    storage=storage,
)
print(server)

# %% [markdown]
# ## Attributes with a list of allowed values
# Some inputs only take specific values (`list_values()`); the values allowed for others depend on another
# input (`conditional_list_values()`): the instance types of a Boavizta cloud server depend on its provider.

# %%
for attribute, values in BoaviztaCloudServer.list_values().items():
    print(f"Possible values for {attribute}: {values}")

# %%
for attribute, rule in BoaviztaCloudServer.conditional_list_values().items():
    condition = rule["depends_on"]
    print(f"Possible values for {attribute} depend on {condition}:")
    for condition_value, values in rule["conditional_list_values"].items():
        shown = ["no value" if v is None else v for v in values]
        print(f"    when {condition} is {condition_value}: {shown[:5] + ['etc.'] if len(shown) > 10 else shown}")

# %%
cloud_defaults = BoaviztaCloudServer.default_values()
cloud_defaults

# %%
print(BoaviztaCloudServer.from_defaults("Default Boavizta cloud server", storage=Storage.ssd()))

# %% [markdown]
# A value outside the list is refused, with the values allowed:

# %%
try:
    BoaviztaCloudServer.from_defaults("cloud server", provider="scaleway", instance_type="a1.medium",
                                      storage=Storage.ssd())
except ModelError as error:
    message = str(error)
    print(message[:300], "...")
assert "instance_type = 'a1.medium'" in message and "when provider is 'scaleway'" in message

# %% [markdown]
# ## Services installed on a server
# Writing a job's RAM and compute needs by hand is tricky. A service installed on a server gives higher-level
# jobs that compute them from simpler inputs: here video streaming, whose jobs are described by a resolution
# and a duration.

# %%
VideoStreaming.default_values()

# %%
video_service = VideoStreaming.from_defaults("Video streaming service", server=server)
VideoStreamingJob.default_values()

# %%
VideoStreamingJob.list_values()

# %%
streaming_job = VideoStreamingJob("streaming job", service=video_service, resolution="1080p (1920 x 1080)",
                                  video_duration="20 min", refresh_rate="30 / s", data_stored="0 MB_stored")
try:
    streaming_job.resolution = "1081p"
except ModelError as error:
    print(error)
print(streaming_job)

# %% [markdown]
# ## A web application service (the seeds' WebApplication)
# The seeds' second notebook also installs a web application on the server: a back end whose technology
# Boavizta's [ecobenchmark](https://github.com/Boavizta/ecobenchmark-applicationweb-backend) measured. Its jobs
# take their CPU and RAM per request from that benchmark, for the service's technology and the job's
# implementation details (`data/archetypes/web_application_ecobenchmark.csv`; a request lasts 1 s, the
# benchmark's hypothesis). efootprint removed the class in version 16; efootprint 27 computes such a job as a
# plain Job with these needs on the service's server, and `system.to_json` writes it so. This example, like
# the seed's, only looks at the job: the system below does not use it.

# %%
from efp_tables.builders.api import WebApplication, WebApplicationJob

print(WebApplication.list_values())
print(WebApplicationJob.list_values())
# The benchmark has no mysql run of rust-actix-sqlx
WebApplicationJob.conditional_list_values()["implementation_details"]["conditional_list_values"]["rust-actix-sqlx"]

# %%
web_app_service = WebApplication("Web app", server=server, technology="php-symfony")
web_app_job = WebApplicationJob.from_defaults("fetching web view", service=web_app_service)

print(web_app_service)
print(web_app_job)

# %%
# The seed printed 0.08 cpu_core and 6.15 megabyte; efootprint 15's exact values are in ../shared/spec.
web_reference = pl.read_csv(REFERENCE.parent / "spec" / "web_application_reference.csv").filter(
    (pl.col("technology") == "php-symfony") & (pl.col("implementation_details") == "default")
    & (pl.col("request_duration_s") == 1.0)).row(0, named=True)
assert web_app_job.compute_needed.to("cpu_core").magnitude == web_reference["compute_needed_cpu_core"]
assert web_app_job.ram_needed.to("MB_ram").magnitude == web_reference["ram_needed_MB"]
print(f"{web_app_job.compute_needed:.2f~P} and {web_app_job.ram_needed:.2f~P} per request of "
      f"{web_app_job.request_duration:~P}, as efootprint 15 computed")
try:
    WebApplicationJob.from_defaults("broken view", service=web_app_service, implementation_details="orm_loop")
except ModelError as error:
    print(error)

# %% [markdown]
# ## Define the usage journey
# Plain jobs state their needs directly. The streaming step runs the streaming job of the service and a plain
# job (the page around the video); the upload step a plain upload job. A journey is a list of steps.

# %%
streaming = Job("streaming", server=server, data_transferred="0.05 MB", data_stored="0.05 MB_stored",
                request_duration="4 min", compute_needed="1 cpu_core", ram_needed="50 MB_ram")
upload = Job("video upload", server=server, data_transferred="20 MB", data_stored="20 MB_stored",
             request_duration="2 s", compute_needed="1 cpu_core", ram_needed="50 MB_ram")
streaming_step = UsageJourneyStep("20 min streaming", user_time_spent="20 min", jobs=[streaming, streaming_job])
upload_step = UsageJourneyStep("1 min video capture then upload", user_time_spent="70 s", jobs=[upload])
journey = UsageJourney("Mean video consumption user journey", uj_steps=[streaming_step, upload_step])

# %% [markdown]
# ## Describe usage
# A usage pattern links journeys to the devices that run them, a network, a country, and the number of journeys
# started hour by hour. Let's build that number from the time builders: a linear growth plus a sinusoidal
# fluctuation, times a daily fluctuation (people use the service less at night).


# %%
def series_chart(series, title: str, days: int | None = None):
    """An hourly series as a chart: its first `days` days hour by hour, or else its daily mean with the band
    between the daily minimum and maximum."""
    frame = series.to_frame().with_columns(hour=pl.from_epoch(pl.col("hour") * 3600, time_unit="s"))
    x = alt.X("hour:T", title=None, scale=alt.Scale(type="utc"))
    if days is not None:
        return (alt.Chart(frame.head(days * 24)).mark_line().encode(x=x, y=alt.Y("value:Q", title=None))
                .properties(title=title, width=600, height=200))
    daily = (frame.group_by(pl.col("hour").dt.truncate("1d"))
             .agg(mean=pl.col("value").mean(), low=pl.col("value").min(), high=pl.col("value").max(), hours=pl.len())
             .filter(pl.col("hours") == 24).sort("hour"))  # a day cut by the series' end would look like a drop
    base = alt.Chart(daily).encode(x=x)
    band = base.mark_area(opacity=0.3).encode(y=alt.Y("low:Q", title=None), y2="high:Q")
    return (band + base.mark_line().encode(y="mean:Q")).properties(title=title, width=600, height=200)


start_date = datetime(2025, 1, 1)
linear_growth = linear_growth_hourly_values("3 year", start_value=5000, end_value=100000, start_date=start_date)

# %% tags=["chart"]
show(series_chart(linear_growth, "Hourly journeys: linear growth component"), "01-linear-growth")

# %% tags=["chart"]
sinusoidal_fluct = sinusoidal_fluct_hourly_values("3 year", sin_fluct_amplitude=3000,
                                                  sin_fluct_period_in_hours=3 * 30 * 24, start_date=start_date)
lin_growth_plus_sin_fluct = linear_growth + sinusoidal_fluct
show(series_chart(lin_growth_plus_sin_fluct, "Linear growth with sinusoidal fluctuations"), "02-sinusoidal")

# %% tags=["chart"]
daily_fluct = daily_fluct_hourly_values("3 year", fluct_scale=0.8, hour_of_day_for_min_value=4, start_date=start_date)
show(series_chart(daily_fluct, "Daily volume fluctuation (first day)", days=1), "03-daily-fluctuation")

# %% tags=["chart"]
hourly_starts = lin_growth_plus_sin_fluct * daily_fluct
show(series_chart(hourly_starts, "Hourly journeys started (first week)", days=7), "04-week-of-starts")

# %% tags=["chart"]
# Over 3 years the daily fluctuations fill the band between the daily min and max of hourly journeys
show(series_chart(hourly_starts, "Hourly journeys started (daily mean, min and max)"), "05-three-years-of-starts")

# %%
network = Network("WIFI network", bandwidth_energy_intensity="0.05 kWh/GB")
usage_pattern = UsagePattern("Daily video streaming consumption", hourly_occurrences=hourly_starts,
                             usage_journeys=[journey], devices=[Device.laptop()], network=network,
                             country=Countries.FRANCE())
system = System("System", usage_patterns=[usage_pattern])
results = system.compute()

# %% [markdown]
# ## Results
# ### Calculated attributes
# Once the System is computed, its objects show their calculated attributes: as text with `print`, as a table
# in Jupyter. Each is an attribute of the object: hourly series (`.sum()`, `.mean()`, `.cumsum()`,
# `.to_frame()`), pint quantities, or dicts per usage pattern, job or service.

# %%
print(server)

# %%
server

# %%
print(streaming_job.data_transferred, "per 20 min of 1080p video;", server.available_ram_per_instance,
      "available per server instance")
system.total_footprint

# %%
long = system.results_long()
total_kg = system.total_footprint.sum().to("kg").magnitude
print(f"System total: {total_kg:,.0f} kg CO2e (efootprint 27: {REFERENCE_TOTAL_KG:,.0f} kg)")
assert close(total_kg, REFERENCE_TOTAL_KG) and close(system_total_kg(long), REFERENCE_TOTAL_KG)
server_use = reference.filter((pl.col("object_id") == "server") & (pl.col("attribute") == "use_footprint"))
assert close(server.use_footprint.sum().magnitude, server_use["value"].sum())

# %% [markdown]
# ### System footprint by category and object

# %% tags=["chart"]
show(charts.footprint_from_long(long), "06-footprint-by-category-and-object")

# %%
by_category = (charts.footprints(long).group_by("category", "phase").agg(tonnes=pl.col("value").sum() / 1000)
               .sort("category", "phase"))
assert close(by_category["tonnes"].sum() * 1000, REFERENCE_TOTAL_KG)
by_category

# %% [markdown]
# ### Object relationship graph
# Hover over a box for its class and id.

# %% tags=["graph"]
SVG(object_graph_svg(system.model()))

# %% [markdown]
# ### Calculus graph
# Any calculated attribute can be explained down to the user inputs: here the laptops' manufacturing footprint
# (formerly the usage pattern's `devices_fabrication_footprint`). Hover over a box for its formula, value and source.

# %%
laptop = usage_pattern.devices[0]
lineage = explain(system.model(), results, laptop.id, "instances_manufacturing_footprint")
print(tree_text(lineage))
assert close(lineage.filter(pl.col("depth") == 0)["value"][0], laptop.instances_manufacturing_footprint.sum().magnitude)

# %% tags=["graph"]
HTML(calculus_graph_html(lineage))

# %% [markdown]
# ### An object's hourly and cumulative emissions

# %% tags=["chart"]
show(charts.hourly(long, "server", "use_footprint"), "07-server-hourly-use-footprint")

# %% tags=["chart"]
show(charts.cumulative(long, objects="server"), "08-server-cumulative-footprint")

# %% tags=["chart"]
show(charts.cumulative(long, by="category"), "09-system-cumulative-footprint")

# %% [markdown]
# ## Analysing the impact of a change
# ### Numeric input change
# Assigning an input records the change; what depends on it is recomputed when next read. Say a better video
# encoding lowers the bits per pixel of the streaming service from 0.1 to 0.0625 (as e-footprint's notebook
# lowers the data downloaded per stream from 800 MB to 500 MB):

# %%
before_mb = streaming_job.data_transferred.to("MB").magnitude
video_service.bits_per_pixel = "0.0625 bit"
after_mb = streaming_job.data_transferred.to("MB").magnitude
print(f"data transferred per stream: {before_mb:,.1f} MB -> {after_mb:,.1f} MB")
assert close(after_mb, before_mb * 0.625)
system.emission_diff_summary()

# %% tags=["chart"]
show(charts.emission_diffs(system.emission_diffs()), "10-diffs-video-encoding")

# %%
quality_diffs = system.emission_diff_summary()
network_delta = quality_diffs.filter(pl.col("object_id") == "WIFI-network")["delta_kg"].sum()
assert network_delta < 0 and close(quality_diffs["delta_kg"].sum(), system_total_kg(system.results_long()) - total_kg)
print(f"network: {network_delta / 1000:+,.1f} t CO2e; system: {quality_diffs['delta_kg'].sum() / 1000:+,.1f} t CO2e")

# %% [markdown]
# ### System structure change
# Now a structural change: a conversation with a generative AI chatbot before streaming the video. The chatbot's
# job runs on an autoscaling GPU server (`GPUServer` and `GPUJob`, which count compute in GPUs).

# %%
llm_server = GPUServer.from_defaults("LLM server", server_type="autoscaling", compute="8 gpu",
                                     average_carbon_intensity="300 g/kWh", storage=Storage.ssd("LLM server storage"))
llm_job = GPUJob("LLM API call", server=llm_server, data_transferred="600 kB", data_stored="300 kB_stored",
                 request_duration="5 s", compute_needed="1 gpu", ram_needed="40000 MB_ram")
llm_chat_step = UsageJourneyStep("Chat with LLM to select video", user_time_spent="1 min", jobs=[llm_job])
journey.uj_steps.insert(0, llm_chat_step)  # a change of the list is a recorded change too
llm_server.use_footprint

# %%
llm_manufacturing = llm_reference.filter((pl.col("object_id") == "LLM-server")
                                         & (pl.col("attribute") == "instances_manufacturing_footprint"))
assert close(llm_server.instances_manufacturing_footprint.sum().magnitude, llm_manufacturing["value"].sum())

# %% tags=["chart"]
show(charts.emission_diffs(system.emission_diffs()), "11-diffs-llm-step")

# %% [markdown]
# The GPU server dominates the change. Of course it depends on the assumptions: on low-carbon electricity,

# %% tags=["chart"]
llm_server.average_carbon_intensity = "50 g/kWh"
show(charts.emission_diffs(system.emission_diffs()), "12-diffs-llm-low-carbon")

# %%
llm_delta = system.emission_diff_summary().filter(pl.col("object_id") == "LLM-server")["delta_kg"].sum()
assert llm_delta < 0
print(f"LLM server at 50 g/kWh instead of 300: {llm_delta / 1000:+,.1f} t CO2e")

# %% [markdown]
# ### Recap of all changes since the start

# %%
system.changes()

# %% tags=["chart"]
show(charts.emission_diffs(system.emission_diffs(from_start=True), with_hourly=True), "13-diffs-from-start")

# %%
all_diffs = system.emission_diff_summary(from_start=True)
assert close(all_diffs["delta_kg"].sum(), system_total_kg(system.results_long()) - total_kg)

# %% [markdown]
# ## Batch changes and simulations of changes in the future
# ### Batch changes
# `ModelingUpdate` makes several changes at once: all are checked before any is made, and the System
# recomputes once. Back to the original encoding and the LLM server's 300 g/kWh: the System is now efootprint's
# `quickstart_llm` reference scenario.

# %%
ModelingUpdate([(video_service, "bits_per_pixel", "0.1 bit"), (llm_server, "average_carbon_intensity", "300 g/kWh")])
llm_total_kg = system_total_kg(system.results_long())
print(f"with the LLM step: {llm_total_kg:,.0f} kg CO2e (efootprint 27: {LLM_REFERENCE_TOTAL_KG:,.0f} kg)")
assert close(llm_total_kg, LLM_REFERENCE_TOTAL_KG)

# %% [markdown]
# And without the chat step, the System is back to the start:

# %% tags=["chart"]
journey.uj_steps = [streaming_step, upload_step]
assert close(system_total_kg(system.results_long()), REFERENCE_TOTAL_KG)
show(charts.footprint_from_long(system.results_long()), "14-footprint-after-reset")

# %% [markdown]
# ### Simulating changes from a future date
# With `simulation_date`, a `ModelingUpdate` simulates the changes from that date on and leaves the System
# as it is: here the chat step added on 1 January 2026.

# %%
simulation_date = datetime(2026, 1, 1)
simulation = ModelingUpdate([(journey, "uj_steps", [llm_chat_step, streaming_step, upload_step])],
                            simulation_date=simulation_date)
simulation.simulation

# %% tags=["chart"]
simulated = simulation.simulation.long
show(charts.cumulative(simulated, by="category"), "15-simulation-cumulative")

# %% tags=["chart"]
show(charts.emission_diffs(simulation.simulation.emission_diffs(), with_hourly=True), "16-simulation-diffs")

# %%
before = pl.col("hour") < simulation_date
assert close(system_total_kg(simulated, before), system_total_kg(system.results_long(), before), rel=1e-12)
from_date = (pl.col("object_id") == "LLM-server") & (pl.col("attribute") == "use_footprint") & ~before
assert close(simulated.filter(from_date)["value"].sum(), llm_reference.filter(from_date)["value"].sum())

# %% [markdown]
# The System still shows its baseline: the LLM server is not used, so it has no energy footprint.

# %%
print(llm_server.use_footprint)

# %% [markdown]
# `set_updated_values()` shows the simulated values on the objects...

# %%
simulation.set_updated_values()
print(llm_server.use_footprint)
assert llm_server.use_footprint.to_frame()["hour"].min() == simulation_date

# %% tags=["chart"]
show(charts.cumulative(system.results_long(), objects="LLM server"), "17-simulated-llm-server-cumulative")

# %% [markdown]
# ... and `reset_values()` goes back to the baseline.

# %%
simulation.reset_values()
print(llm_server.use_footprint)
assert llm_server.use_footprint is None and close(system.total_footprint.sum().magnitude, REFERENCE_TOTAL_KG)

# %% [markdown]
# ## Export to efootprint 27 JSON, and a sweep of 100 variants
# `system.to_json` writes the model as efootprint 27 JSON (efootprint itself loads it). Read back, the model can
# be swept: one row of totals per variant of the grid, here 5 carbon intensities x 5 utilization rates x 4 video
# frame rates, the model's own values first (variant 0 is the model as it is).

# %%
json_path = system.to_json(OUT / "quickstart_export.json")
model = read_model(json_path)
grid = {
    "server.average_carbon_intensity": ["100 g/kWh", "50 g/kWh", "200 g/kWh", "300 g/kWh", "400 g/kWh"],
    "server.utilization_rate": [0.9, 0.5, 0.6, 0.7, 0.8],
    "streaming-job.refresh_rate": ["30 / s", "24 / s", "25 / s", "60 / s"],
}
variants = sweep(model, grid)
assert variants.height == 100 and close(variants["total_footprint_kg"][0], REFERENCE_TOTAL_KG)
variants.sort("total_footprint_kg").head(5)

# %% tags=["chart"]
show(charts.sweep_sensitivity(variants), "18-sweep-sensitivity")

# %%
lowest = variants.row(variants["total_footprint_kg"].arg_min(), named=True)
assert (lowest["server.average_carbon_intensity"], lowest["streaming-job.refresh_rate"]) == ("50 g/kWh", "24 / s")
print(f"{variants.height} variants from {variants['total_footprint_kg'].min() / 1000:,.0f} to "
      f"{variants['total_footprint_kg'].max() / 1000:,.0f} t CO2e; the model itself: "
      f"{variants['total_footprint_kg'][0] / 1000:,.0f} t CO2e")

# %% [markdown]
# ## Files saved by older efootprint versions (9 to 26)
# `read_model` also reads the JSON files that efootprint 9.0.0 to 26.x wrote: an older file is first upgraded, one
# step per major version, to the efootprint 27 form, as efootprint 27 itself upgrades it (renamed classes and
# attributes, new units, moved structures). Results saved in a file are never used: everything is recomputed
# (`efp upgrade OLD.json --check-saved` compares them with today's). `efp upgrade OLD.json --out NEW.json` writes
# the efootprint 27 form. Here, the quickstart as efootprint 9.1.5 saved it, one year long.

# %%
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_document, upgraded_document

old_path = REFERENCE / "old_versions" / "quickstart_v9.json"
old_document = read_document(old_path)
upgraded = upgraded_document(old_document, old_path.name)
print(upgraded.summary())

# %% [markdown]
# The server, as efootprint 9.1.5 wrote it and in the efootprint 27 form (only what changed):

# %%
server_id = next(iter(old_document["Server"]))
old_server, new_server = old_document["Server"][server_id], upgraded.document["Server"][server_id]


def shown(value) -> str | None:
    return f"{value['value']} {value['unit']}" if isinstance(value, dict) and "unit" in value else None


renamed = {new: old for (object_id, new), old in upgraded.former_names.items() if object_id == server_id}
server_changes = pl.DataFrame(
    [{"efootprint 9.1.5": renamed.get(name, name), "value": shown(old_server[renamed.get(name, name)]),
      "efootprint 27": name, "value in 27": shown(value)}
     for name, value in new_server.items()
     if name in renamed or shown(value) != shown(old_server.get(name))])
assert server_changes["efootprint 27"].to_list() == ["carbon_footprint_manufacturing", "ram", "utilization_rate",
                                                     "base_ram_consumption"]
server_changes

# %%
old_version_total_kg = compute(read_model(old_path)).total_footprint_kg()
old_reference = pl.read_parquet(REFERENCE / "old_versions" / "quickstart_v9.results.parquet")
assert close(next(iter(old_version_total_kg.values())), system_total_kg(old_reference))
print(f"quickstart_v9.json: total footprint {next(iter(old_version_total_kg.values())) / 1000:,.1f} t CO2e over one "
      f"year, as efootprint 27 computes it from that file")

# %% [markdown]
# <!-- section: the seeds' own code (issue 20) -->
# ## The seeds' own code runs too: change one word in the imports
# e-footprint's two quickstart notebooks, as plain scripts:
# [`quickstart_seed_001.py`](../../shared/seeds/quickstart_seed_001.py) (seed 001, as written) and
# [`quickstart_seed_000_restored_on_v8_2_1.py`](../../shared/seeds/quickstart_seed_000_restored_on_v8_2_1.py)
# (seed 000 with its lost cells restored), use e-footprint's older names (`UserJourney`, `data_download`,
# `cpu_needed`, `u.core`, `Autoscaling`, ...). They run on efp_tables unchanged but for one word in each import:
#
# ```python
# from efootprint.core.usage.user_journey import UserJourney               # before
# from efp_tables.efootprint.core.usage.user_journey import UserJourney    # after
# ```
#
# `efp_tables.efootprint` mirrors the modules the seeds import, maps each old name and unit to efootprint 27's
# (warning once per old name), uses efootprint 9.0.0's defaults, archetypes and countries (France at 85 g/kWh),
# and draws the seeds' plots and graphs with efp_tables' charts (HTML or PNG files, or inline in Jupyter).
# `system_to_json` writes the final System as efootprint 27 JSON: computed by `efp compute`, it equals what
# efootprint 27 computes from the same System saved by efootprint 9.0.0 (14,287,612 kg over 3 years;
# `tests/test_seeds.py`).
# <!-- end of section: the seeds' own code -->
