"""Waiting on an event with a deadline — the only way the grader waits.

``deadline = time.monotonic() + timeout`` and a loop on a condition that the
readers notify; never ``sleep(n)`` and hope (DESIGN.md, convention 7).
"""
from __future__ import annotations

import threading
import time
from typing import Callable


def wait_until(changed: threading.Condition, condition: Callable[[], bool], timeout: float) -> bool:
    """True as soon as ``condition()`` holds; False when ``timeout`` runs out."""
    deadline = time.monotonic() + timeout
    with changed:
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            changed.wait(min(left, 0.1))
        return True
