"""Benchmark harness: each case runs in its own process; results go to results/benchmarks.csv."""
