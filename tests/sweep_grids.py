"""The quickstart grids of the sweeps issue, shared by tests and benchmarks: 1000 variants (10 x 5 x 4 x 5) and
100,000 variants (10 values of 5 inputs)."""
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
