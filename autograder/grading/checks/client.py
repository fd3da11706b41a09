"""Checks of the student's client, run against the grader's fake server.

One run of the client serves all five checks (``clientrun.ClientRun``): the
steps build on each other as a person's session does.
"""
from __future__ import annotations

from autograder.grading.registry import MULTI_USER, check


@check("client_connects")
def check_client_connects(client):
    """The client connects to the server."""
    client.run("connects")


@check("client_handshake", depends=["client_connects"], variants=MULTI_USER)
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
