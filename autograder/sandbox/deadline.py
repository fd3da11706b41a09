"""A check's deadline where there is no SIGALRM (Windows), or off the main thread.

pytest-timeout's "thread" method, on overrun, dumps stacks and ends the
whole process with ``os._exit``: ``autograde`` would leave no report at all.
This plugin takes over pytest-timeout's timer for that method (its
``pytest_timeout_set_timer`` hook): when a check overruns, the student's
programs are stopped (so the check's waits on them end) and ``CheckTimeout``
is raised in the thread running the check, which the grader records as a
failed check ("it hung") and goes on to the next one.
"""
from __future__ import annotations

import ctypes
import threading
from typing import Callable

import pytest


class CheckTimeout(Exception):
    """Raised into a check that ran over its deadline."""

    def __str__(self) -> str:  # raised as a class, without arguments: the plugin reads "Timeout"
        return "Timeout: the check ran over its deadline"


class ThreadDeadline:
    def __init__(self, on_expiry: Callable[[], None] = lambda: None) -> None:
        self.__name__ = "chatlab-deadline"
        self.on_expiry = on_expiry

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_timeout_set_timer(self, item, settings):
        if settings.method == "signal" and threading.current_thread() is threading.main_thread():
            return None  # SIGALRM interrupts the check itself: pytest-timeout's own way is right
        target = threading.get_ident()
        timer = threading.Timer(settings.timeout, self._expire, (target,))
        timer.daemon = True
        timer.name = f"chatlab deadline {item.nodeid}"

        def cancel() -> None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join()

        item.cancel_timeout = cancel
        timer.start()
        return True

    def _expire(self, target: int) -> None:
        try:
            self.on_expiry()
        finally:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(CheckTimeout))
