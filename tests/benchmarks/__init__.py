"""Tests of the benchmarks' own code (benchmarks/): their records, not their timings."""
