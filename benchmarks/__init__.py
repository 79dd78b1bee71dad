"""Benchmarks of the series: ``python benchmarks/run.py`` (see the README's "Benchmarks").

``flops`` counts a model's multiply-adds, ``stats`` turns interleaved rounds into
ratios and a Markdown table, ``workloads`` holds the measured functions (each run
in a fresh process by ``run``), ``run`` orchestrates and reports.
"""
