"""Benchmarks. Each prints its figures as ratios against a bare baseline measured in the same run."""
