"""A stand-in chat server the grader runs to examine a student's client.

It listens on loopback (TCP or UDP), records every byte the client sends
through a ``protocol.TextStream``, and can talk back: greet with the same
first words the student's own server uses (so a client written for that
server recognises them), deliver a chat line, or go away.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import List, Optional

from .clients import Transcript
from .protocol import TextStream, visible_bytes


class Peer:
    """One connection (TCP) or one client address (UDP) as the fake server sees it."""

    def __init__(self, server: "FakeServer", sock: Optional[socket.socket], address) -> None:
        self.server = server
        self.sock = sock
        self.address = address
        self.stream = TextStream()
        self.datagrams: List[bytes] = []
        self.closed = False

    def received(self, data: bytes) -> None:
        self.server.transcript.add("client", "send", visible_bytes(data))
        with self.server.changed:
            self.stream.feed(data)
            self.datagrams.append(data)
            self.server.last_data = time.monotonic()
            self.server.changed.notify_all()

    def send(self, data: bytes) -> bool:
        self.server.transcript.add("client", "recv", visible_bytes(data))
        try:
            if self.server.kind == "udp":
                self.server.sock.sendto(data, self.address)
            else:
                self.sock.sendall(data)
            return True
        except OSError:
            return False

    def close(self) -> None:
        if self.sock is not None and not self.closed:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


class FakeServer:
    def __init__(self, kind: str = "tcp", greeting: Optional[bytes] = None,
                 transcript: Optional[Transcript] = None) -> None:
        self.kind = kind
        self.greeting = greeting
        self.transcript = transcript or Transcript()
        self.changed = threading.Condition()
        self.peers: List[Peer] = []
        self.last_data = 0.0
        self._stopping = False
        family_type = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, family_type)
        self.sock.bind(("127.0.0.1", 0))
        if kind == "tcp":
            self.sock.listen(8)
        self.address = self.sock.getsockname()
        target = self._serve_udp if kind == "udp" else self._accept
        threading.Thread(target=target, name="fake-server", daemon=True).start()

    # -- serving ------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, address = self.sock.accept()
            except OSError:
                return
            peer = Peer(self, conn, address)
            with self.changed:
                self.peers.append(peer)
                self.changed.notify_all()
            self.transcript.add("client", "note", "connected to the grader's server")
            if self.greeting:
                peer.send(self.greeting)
            threading.Thread(target=self._read, args=(peer,), daemon=True).start()

    def _read(self, peer: Peer) -> None:
        while True:
            try:
                data = peer.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.changed:
                    peer.closed = True
                    self.changed.notify_all()
                return
            peer.received(data)

    def _serve_udp(self) -> None:
        known = {}
        while not self._stopping:
            try:
                data, address = self.sock.recvfrom(65536)
            except OSError:
                return
            peer = known.get(address)
            if peer is None:
                peer = known[address] = Peer(self, None, address)
                with self.changed:
                    self.peers.append(peer)
                    self.changed.notify_all()
                peer.received(data)
                if self.greeting:
                    # Clients that wait for an answer to their registration get
                    # the welcome of the protocol the lab recommends.
                    peer.send(self.greeting)
                continue
            peer.received(data)

    # -- what the checks ask ------------------------------------------------------
    @property
    def peer(self) -> Optional[Peer]:
        return self.peers[0] if self.peers else None

    def text(self) -> str:
        return "".join(p.stream.text for p in self.peers)

    def wait_until(self, condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.1))
            return True

    def stop(self) -> None:
        """The server goes away: every connection closed, the socket too."""
        self._stopping = True
        for peer in list(self.peers):
            peer.close()
        try:
            self.sock.close()
        except OSError:
            pass
