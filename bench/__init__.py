"""Benchmarks of the nightly backup: ``python -m bench`` (``make bench``)."""
