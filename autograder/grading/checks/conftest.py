"""Fixtures the checks share: a freshly started sandboxed server per check,
and a room of scripted users talking to it.

A fresh server per check keeps verdicts independent: a server that crashed
in one scenario, or keeps history, does not spoil the next.
"""
from __future__ import annotations

import pytest

from autograder.wire.clients import Room, Transcript
from autograder.sandbox.launch import RunningServer, start_server
from autograder.results import CheckFailed, msg


@pytest.fixture
def grading(request):
    """The grading context the plugin was given (submission, profile, limits)."""
    return request.config.pluginmanager.get_plugin("chatlab").context


@pytest.fixture
def server(grading, request):
    # The runner's start-up probe is the `starts` check's server: no second wait.
    running = grading.take_server()
    if running.address is not None and _more_servers_wanted(request):
        grading.start_spare_server()
    if running.address is None and grading.status("starts") == "passed":
        # It started before: a busy machine, not the student, is the likelier cause. Once more,
        # and say so in the report.
        running.child.stop()
        child = running.child
        grading.profile_extra.setdefault("restarts", []).append({
            "check": request.node.get_closest_marker("check").kwargs["id"],
            "alive": child.alive(), "exit": child.exit_code,
            "events": [e["ev"] for e in child.events][-6:], "stderr": child.stderr.text[-300:]})
        running = start_server(grading)
    request.node.stash[SERVER_KEY] = running
    try:
        if running.address is None and request.node.get_closest_marker("check").kwargs["id"] != "starts":
            raise CheckFailed(msg("fail.restart"))
        yield running
    finally:
        running.child.stop()


def _more_servers_wanted(request) -> bool:
    """Does a later check of this run need a server of its own? Then start it now."""
    items = request.session.items
    later = items[items.index(request.node) + 1:] if request.node in items else []
    return any("server" in item.fixturenames for item in later)


@pytest.fixture
def room(server, grading, request):
    if server.address is None:
        raise CheckFailed(msg("fail.restart"))
    if server.kind == "udp":
        grading.learn_from_client()  # how the student's own client registers and leaves
    chat = Room(server.address, grading.profile, Transcript(grading.observer), kind=server.kind or "tcp",
                user_factory=grading.user_factory(), cast=grading.cast)
    request.node.stash[ROOM_KEY] = chat
    try:
        yield chat
    finally:
        chat.close()


SERVER_KEY = pytest.StashKey[RunningServer]()
ROOM_KEY = pytest.StashKey[Room]()


def pytest_configure(config):
    config.addinivalue_line("markers", "check(id, depends=()): a graded check with a stable id")
    # Expose the stash keys to the plugin without an import cycle.
    plugin = config.pluginmanager.get_plugin("chatlab")
    if plugin is not None:
        plugin.server_key = SERVER_KEY
        plugin.room_key = ROOM_KEY
