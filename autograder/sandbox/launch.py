"""Starting the student's server in the sandbox and waiting until it listens."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from autograder.sandbox.process import Child

START_DEADLINE = 10.0  # seconds a server may take to listen


@dataclass
class RunningServer:
    child: Child
    address: Optional[tuple]
    kind: Optional[str]  # "tcp" or "udp"
    startup_seconds: Optional[float]


def spawn_server(grading, gated: bool = False) -> Child:
    """The student's server as a child process; ``gated``: ready, but waiting for ``start_server``."""
    child = Child(grading.server_file, grading.workdir, "server", limits=grading.limits,
                  argv=grading.server_argv).start(gated=gated)
    grading.children.append(child)
    return child


def start_server(grading, child: Optional[Child] = None) -> RunningServer:
    """Start the server (or let a gated one go) and wait until it listens."""
    child = child or spawn_server(grading)
    child.release()
    event = child.wait_event(lambda e: e["ev"] == "listen" or (e["ev"] == "bind" and e["kind"] == "udp"),
                             START_DEADLINE)
    if event is None:
        return RunningServer(child, None, None, None)
    host = next((e["host"] for e in child.all("bind") if e["port"] == event["port"]), "127.0.0.1")
    return RunningServer(child, (host, event["port"]), event.get("kind", "tcp"), event["t"])
