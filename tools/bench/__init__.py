"""Benchmarks: each prints a table and writes JSON to tools/bench/results/, with ratios against a baseline measured
in the same run (these machines are shared and noisy: compare ratios, not absolute numbers)."""
