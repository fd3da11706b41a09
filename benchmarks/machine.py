"""The machine a benchmark ran on, for the figures it prints: cores, CPU model, load.

A figure without its machine cannot be compared; the load average says whether
other work (a test suite, another grader) shared the cores while it ran.
"""
from __future__ import annotations

import os
import platform


def describe() -> dict:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):  # Windows
        load = None
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(), "load_average": load}


def line(facts: dict) -> str:
    load = "/".join(str(x) for x in facts["load_average"]) if facts["load_average"] else "unknown"
    return f"machine: {facts['cpus']} CPUs, {facts['cpu_model']}, Python {facts['python']}; load average {load} (1/5/15 min) at the start"
