"""Side-by-side benchmarks: ``python -m benchmarks [--workloads a,b] [--scale S]``."""
