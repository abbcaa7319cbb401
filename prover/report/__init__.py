"""After the runs: pass@k estimates and the report (tables, plots)."""
