"""Checks of the student's client, run against the grader's fake server.

One run of the client serves all five checks (``clientrun.ClientRun``): the
steps build on each other as a person's session does.
"""
from __future__ import annotations

import pytest

from autograder.grading.checks import check
from autograder.grading.checks.conftest import ROOM_KEY, SERVER_KEY
from autograder.results import CheckFailed, msg


@pytest.fixture(scope="module")
def client_run(request):
    grading = request.config.pluginmanager.get_plugin("chatlab").context
    run = grading.client_session()
    if run is not None:
        grading.profile_extra.update({f"client_{k}": v for k, v in run.learned.items()})
    return run


@pytest.fixture
def client(client_run, request):
    if client_run is None:
        raise CheckFailed(msg("fail.client.missing"), hint=msg("hint.client.missing"))
    request.node.stash[ROOM_KEY] = client_run
    request.node.stash[SERVER_KEY] = client_run.client
    return client_run


@check("client_connects")
def check_client_connects(client):
    """The client connects to the server."""
    client.run("connects")


@check("client_handshake", depends=["client_connects"], variants=("tcp-multi", "udp-multi"))
def check_client_gives_nickname(client):
    """The client answers the server's prompt or sends the nickname."""
    client.run("handshake")


@check("client_sends", depends=["client_connects"])
def check_client_sends_typed_line(client):
    """A typed line reaches the server."""
    client.run("sends")


@check("client_receives", depends=["client_connects"])
def check_client_prints_while_idle(client):
    """A message from the server is printed while the user is idle (a receiving thread)."""
    client.run("receives")


@check("client_exits", depends=["client_connects"])
def check_client_ends_cleanly(client):
    """The client ends without a traceback when the server goes away or the user quits."""
    client.run("exits")
