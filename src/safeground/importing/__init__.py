"""Reading geodata files for import: features in WGS84 with exact per-feature errors."""
