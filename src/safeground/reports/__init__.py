"""Reports a person would rather look at: charts of forecasts and plans."""
