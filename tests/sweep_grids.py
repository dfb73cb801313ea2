"""The 1000-variant quickstart grid of the sweeps issue (10 x 5 x 4 x 5), shared by tests and benchmarks."""
QUICKSTART_GRID = {
    "server.average_carbon_intensity": [f"{g} g/kWh" for g in (50, 100, 150, 200, 250, 300, 350, 400, 450, 500)],
    "server.utilization_rate": [0.5, 0.6, 0.7, 0.8, 0.9],
    "SSD-storage.lifespan": ["3 year", "4 year", "5 year", "6 year"],
    "video-upload.data_transferred": ["5 MB", "10 MB", "20 MB", "30 MB", "50 MB"],
}
