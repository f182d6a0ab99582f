"""Benchmarks (make bench): every figure with a baseline measured in the same run."""
