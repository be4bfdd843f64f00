"""Grading a class: many autograde runs, on this machine or on a Dask cluster."""
