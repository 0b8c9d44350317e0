"""Benchmarks: each script prints its figures and rewrites its section of docs/benchmarks.md."""
