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


# The order checks run and are reported in; dependencies always come first.
ORDER = (
    "starts", "handshake", "broadcast", "names", "join_notice", "leave_notice", "drop_survival",
    "idle_after_leave", "many_clients", "unicode", "slow_reader", "framing", "connects", "server_to_client",
    "client_to_server", "duplex", "ending", "threads",
    "client_connects", "client_handshake", "client_sends", "client_receives", "client_exits",
)


class NotApplicable(pytest.skip.Exception):
    """Raised by a check that cannot judge this submission (the behaviour does
    not exist in its protocol, or the users cannot be played that way): the
    check is ``skipped`` and the report gives ``message``, a catalogue ``Msg``."""

    def __init__(self, message) -> None:
        super().__init__(message.key)
        self.chatlab_message = message


def check(check_id: str, depends: Iterable[str] = (), timeout: float = 60, title: str = "",
          variants: Iterable[str] = ()):
    """Mark a function as the graded check ``check_id``.

    ``title``: another catalogue key for its title than ``check.<id>``;
    ``variants``: the only variants it applies to (default: all that run its module).
    """

    def mark(function):
        function = pytest.mark.check(id=check_id, depends=tuple(depends), title=title,
                                     variants=tuple(variants))(function)
        return pytest.mark.timeout(timeout)(function)

    return mark
