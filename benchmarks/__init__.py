"""Benchmarks for issue 7: `make bench` (``python -m benchmarks.run``) writes RESULTS.md."""
