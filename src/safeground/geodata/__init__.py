"""Field data to geometry, and geometry quality checks: pure functions, no I/O."""
