"""The server a student's client meets when the grader examines it.

It listens on loopback (TCP or UDP) and records every byte the client sends
through a ``protocol.TextStream``.  When the student's own server runs
(``upstream``), it is a recording proxy in front of it: the client speaks
the protocol it was written for, and gets the answers it expects.  Without
one it stands in alone, greeting with the student's server's first words if
they are known.  Either way it can put a chat line in front of the client
or go away, which is what the checks need.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import List, Optional

from autograder.wire.clients import Transcript
from autograder.wire.protocol import TextStream, visible_bytes
from autograder.results import msg
from autograder.waiting import wait_until


class Peer:
    """One connection (TCP) or one client address (UDP) as the fake server sees it."""

    def __init__(self, server: "FakeServer", sock: Optional[socket.socket], address) -> None:
        self.server = server
        self.sock = sock
        self.address = address
        self.upstream: Optional[socket.socket] = None
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
        if self.upstream is not None:
            try:
                self.upstream.sendall(data) if self.server.kind == "tcp" else self.upstream.send(data)
            except OSError:
                pass

    def relay_back(self) -> None:
        """Upstream server → client, for as long as both are there."""
        while True:
            try:
                data = self.upstream.recv(65536)
            except ConnectionRefusedError:
                continue  # UDP: an earlier datagram found nobody; not news
            except OSError:
                data = b""
            if not data:
                if self.server.kind == "tcp":
                    self.close()
                return
            if not self.send(data):
                return

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
        for sock in (self.sock, self.upstream):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.closed = True

    def connect_upstream(self, address: tuple) -> None:
        kind = socket.SOCK_DGRAM if self.server.kind == "udp" else socket.SOCK_STREAM
        try:
            up = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, kind)
            up.settimeout(5)
            up.connect(address)
            up.settimeout(None)
        except OSError:
            self.server.transcript.add("grader", "note", msg("note.upstream_refused"))
            return
        self.upstream = up
        threading.Thread(target=self.relay_back, daemon=True).start()


class FakeServer:
    def __init__(self, kind: str = "tcp", greeting: Optional[bytes] = None,
                 transcript: Optional[Transcript] = None, upstream: Optional[tuple] = None) -> None:
        self.kind = kind
        self.upstream = upstream
        self.greeting = None if upstream else greeting
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
            self.transcript.add("client", "note", msg("note.connected_to_grader"))
            if self.upstream:
                peer.connect_upstream(self.upstream)
            elif self.greeting:
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
                if self.upstream:
                    peer.connect_upstream(self.upstream)
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
        return wait_until(self.changed, condition, timeout)

    def stop(self) -> None:
        """The server goes away: every connection closed, the socket too."""
        self._stopping = True
        for peer in list(self.peers):
            peer.close()
        try:
            self.sock.close()
        except OSError:
            pass
