"""Starting the student's server in the sandbox and waiting until it listens."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .sandbox import Child

START_DEADLINE = 10.0  # seconds a server may take to listen


@dataclass
class RunningServer:
    child: Child
    address: Optional[tuple]
    kind: Optional[str]  # "tcp" or "udp"
    startup_seconds: Optional[float]


def start_server(grading) -> RunningServer:
    child = Child(grading.server_file, grading.workdir, "server", limits=grading.limits,
                  argv=grading.server_argv).start()
    grading.children.append(child)
    event = child.wait_event(lambda e: e["ev"] == "listen" or (e["ev"] == "bind" and e["kind"] == "udp"),
                             START_DEADLINE)
    if event is None:
        return RunningServer(child, None, None, None)
    host = next((e["host"] for e in child.all("bind") if e["port"] == event["port"]), "127.0.0.1")
    return RunningServer(child, (host, event["port"]), event.get("kind", "tcp"), event["t"])
