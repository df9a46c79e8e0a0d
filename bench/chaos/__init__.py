"""Chaos run of the whole cycle (orders, warehouse, tracking, stock) with invariants.

`python -m bench.chaos --help`; results and commands in docs/benchmarks.md ("Chaos run").
"""
