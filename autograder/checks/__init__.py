"""Checks are pytest tests.

A check is a function named ``check_<what it proves>``; the first line of its
docstring is the English title a student reads (the Russian one lives in the
catalogue under ``check.<id>``).  ``@check(id, depends=...)`` gives it a
stable id for reports and the checks it needs: if one of those did not pass,
the plugin skips it and says why.  Points come from the rubric, not from here.
"""
from __future__ import annotations

from typing import Iterable

import pytest


def check(check_id: str, depends: Iterable[str] = (), timeout: float = 60):
    """Mark a function as the graded check ``check_id``."""

    def mark(function):
        function = pytest.mark.check(id=check_id, depends=tuple(depends))(function)
        return pytest.mark.timeout(timeout)(function)

    return mark
