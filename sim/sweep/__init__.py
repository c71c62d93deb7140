"""Studies: the product of topology settings and seeds, one run per task on dask.distributed,
gathered into tables (sim.sweep.grid, tasks, tables, plots)."""
