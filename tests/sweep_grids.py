"""The quickstart grids of the sweeps issues, shared by tests and benchmarks: inputs that scale sums (1000 variants,
10 x 5 x 4 x 5, and 100,000: 10 values of 5 inputs) and inputs that change hourly shapes."""
QUICKSTART_GRID = {
    "server.average_carbon_intensity": [f"{g} g/kWh" for g in (50, 100, 150, 200, 250, 300, 350, 400, 450, 500)],
    "server.utilization_rate": [0.5, 0.6, 0.7, 0.8, 0.9],
    "SSD-storage.lifespan": ["3 year", "4 year", "5 year", "6 year"],
    "video-upload.data_transferred": ["5 MB", "10 MB", "20 MB", "30 MB", "50 MB"],
}
QUICKSTART_GRID_100K = {
    "server.average_carbon_intensity": [f"{g} g/kWh" for g in range(50, 550, 50)],
    "server.utilization_rate": [0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9],
    "SSD-storage.lifespan": [f"{y} year" for y in (2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5)],
    "video-upload.data_transferred": [f"{m} MB" for m in (5, 10, 15, 20, 25, 30, 35, 40, 45, 50)],
    "server.power": [f"{w} W" for w in range(200, 400, 20)],
}
# Inputs that change hourly shapes (windows, step offsets, storage windows, server instances): 480 variants
# (4 x 4 x 5 x 3 x 2), and 100,000 (10 values of 5 inputs).
SHAPE_GRID = {
    "streaming.request_duration": ["4 min", "10 min", "30 min", "90 min"],
    "20-min-streaming.user_time_spent": ["20 min", "40 min", "60 min", "90 min"],
    "SSD-storage.data_storage_duration": ["3 month", "6 month", "1 year", "2 year", "3 year"],
    "video-upload.data_stored": ["10 megabyte_stored", "20 megabyte_stored", "50 megabyte_stored"],
    "server.ram": ["128 gigabyte_ram", "256 gigabyte_ram"],
}
SHAPE_GRID_100K = {
    "streaming.request_duration": [f"{m} min" for m in (2, 4, 6, 10, 15, 20, 30, 45, 60, 90)],
    "20-min-streaming.user_time_spent": [f"{m} min" for m in (10, 15, 20, 25, 30, 40, 50, 60, 75, 90)],
    "SSD-storage.data_storage_duration": [f"{m} month" for m in (1, 2, 3, 6, 9, 12, 18, 24, 30, 36)],
    "video-upload.data_stored": [f"{m} megabyte_stored" for m in (5, 10, 15, 20, 25, 30, 35, 40, 45, 50)],
    "server.ram": [f"{g} gigabyte_ram" for g in (64, 96, 128, 160, 192, 224, 256, 320, 384, 512)],
}


# edge_fleet: the usage span of its deployments changes every hourly shape of the edge side (each value is a full
# recomputation of the edge side, for efootprint's live model as for us); the back-office PC's compute and the
# kiosk's power change the hourly power of a component; the country's carbon intensity scales the use footprints.
# 480 variants (8 x 3 x 4 x 5), as many as the quickstart shape grid. EDGE_SPAN_GRID: the usage span alone.
EDGE_SPAN_GRID = {
    "Supermarkets-in-Spain.usage_span": ["0.5 year", "0.75 year", "1 year", "1.25 year", "1.5 year", "1.75 year",
                                         "2 year", "2.5 year"],
}
EDGE_GRID = {
    **EDGE_SPAN_GRID,
    "Back-office-mini-PC.compute": ["6 cpu_core", "8 cpu_core", "12 cpu_core"],
    "Self-checkout-kiosk.power": ["100 W", "120 W", "140 W", "160 W"],
    "Spain.average_carbon_intensity": [f"{g} g/kWh" for g in (50, 100, 146, 200, 300)],
}
