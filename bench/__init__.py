"""Benchmarks: each ``bench_*.py`` module has ``main()`` and prints ratios measured in one run.

Run them all with ``python -m bench`` (``make bench``), or one with
``python -m bench.bench_platform_create``.
"""
