"""The backup engine: what a worker does with one run (see run.py, where it starts)."""
