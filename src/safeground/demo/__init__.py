"""The demo: a seeded synthetic border region, saved, planned and forecast."""
