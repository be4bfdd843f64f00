"""Grading on a Dask cluster: the driver, what runs on a worker, and the worker itself."""
