"""Reproducible benchmarks: ``python -m bench`` prints a table (never run as tests)."""
