"""Multi-user chat server over UDP (reference solution of the chat lab).

UDP has no connections: every message is one datagram that arrives whole (or
not at all), tagged with the sender's address. So the server keeps its own
list of who is in the chat: address -> nickname.

* "/join NAME" registers the sender's address; "/leave" forgets it.
* Any other datagram from a registered address is relayed as "NAME: text" to
  every other registered address. Unknown addresses are told to /join first.

One socket serves everybody, so one worker thread does all the receiving and
relaying; the main thread only waits for Ctrl+C (a blocking recvfrom() in the
main thread could not be interrupted on Windows). The lock around the
registry makes it safe to add more threads later.

Run:  python server.py [--host 127.0.0.1] [--port 9090]
"""
from __future__ import annotations

import argparse
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
MAX_MESSAGE_BYTES = 4096  # same limit as the TCP chat
DATAGRAM_SIZE = 65535  # the largest datagram UDP can carry


class UdpChat:
    """Who is in the chat, and what to do with each datagram."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._names = {}  # (ip, port) -> nickname, in the order they joined
        self._lock = threading.Lock()

    def serve_forever(self) -> None:
        """Worker thread: receive datagrams and act on them, forever."""
        while True:
            try:
                data, address = self.sock.recvfrom(DATAGRAM_SIZE)
            except ConnectionResetError:
                # Windows reports here that an earlier datagram could not be
                # delivered (the user's program has closed). Nothing to do.
                continue
            self.handle(data, address)

    def handle(self, data: bytes, address) -> None:
        text = data.decode("utf-8", errors="replace").strip()
        if not text:
            return
        if len(data) > MAX_MESSAGE_BYTES:
            self.reply(address, f"* message too long (max {MAX_MESSAGE_BYTES} bytes), dropped")
            return
        command, _, argument = text.partition(" ")
        if command == "/join":
            self.join(address, argument.strip())
        elif self.name_of(address) is None:
            self.reply(address, "* send /join NAME first")
        elif text == "/leave":
            self.leave(address)
        else:
            self.relay(address, text)

    def name_of(self, address):
        with self._lock:
            return self._names.get(address)

    def join(self, address, nick: str) -> None:
        with self._lock:
            current = self._names.get(address)
            taken = nick in self._names.values() and current != nick
            if nick and current is None and not taken:
                self._names[address] = nick
            others = [other for other in self._names if other != address]
            online = ", ".join(self._names.values())
        if not nick:
            self.reply(address, "* nickname must not be empty")
        elif current not in (None, nick):
            self.reply(address, f"* you are already in the chat as {current}")
        elif taken:
            self.reply(address, f'* nickname "{nick}" is not available, choose another')
        else:
            # A repeated /join with the same name gets the welcome again:
            # the first reply may have been lost, UDP does not retransmit.
            self.reply(address, f"* welcome, {nick}! online: {online}")
            if current is None:
                self.send_to(others, f"* {nick} joined the chat")
                log(f"{nick} joined from {address[0]}:{address[1]}")

    def leave(self, address) -> None:
        with self._lock:
            nick = self._names.pop(address)
            others = list(self._names)
        self.send_to(others, f"* {nick} left the chat")
        log(f"{nick} left")

    def relay(self, address, text: str) -> None:
        with self._lock:
            nick = self._names[address]
            others = [other for other in self._names if other != address]
        self.send_to(others, f"{nick}: {text}")

    def reply(self, address, text: str) -> None:
        self.send_to([address], text)

    def send_to(self, addresses, text: str) -> None:
        data = text.encode("utf-8")
        for address in addresses:
            try:
                self.sock.sendto(data, address)  # never waits for the receiver
            except OSError:
                pass  # a datagram that cannot be sent is simply lost, as UDP allows


# print() writes the text and the newline separately: two threads logging at once
# could glue their lines together, so the log is a shared resource with a lock.
LOG_LOCK = threading.Lock()


def log(text: str) -> None:
    with LOG_LOCK:
        print(f"* {text}", flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Multi-user UDP chat server")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (0.0.0.0 = every network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="port to listen on (0 = any free port)")
    return parser.parse_args(argv)


def lan_addresses() -> list:
    """IPv4 addresses other computers on the network may use to reach this one."""
    found = set()
    try:
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(sockaddr[0])
    except OSError:
        pass
    try:
        # "Connecting" a UDP socket sends nothing; it only makes the OS pick
        # the network interface it would use to reach the internet.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # a documentation address, never contacted
            found.add(probe.getsockname()[0])
    except OSError:
        pass  # no network route at all
    return sorted(address for address in found if not address.startswith(("127.", "0.")))


def print_lan_addresses(port: int) -> None:
    addresses = lan_addresses()
    if not addresses:
        print("* no network address found; see ipconfig (Windows) or ip addr (Linux/macOS)",
              flush=True)
    for address in addresses:
        print(f"* students on this network can connect to {address}:{port}", flush=True)


def serve(host: str, port: int) -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError as error:
        print(f"* cannot listen on {host}:{port}: {error}", flush=True)
        return 1
    host, port = sock.getsockname()[:2]
    print(f"listening on {host}:{port} (UDP)", flush=True)
    if host == "0.0.0.0":
        print_lan_addresses(port)
    worker = threading.Thread(target=UdpChat(sock).serve_forever, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.5)  # a join with a timeout lets Ctrl+C through, even on Windows
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # Windows pipes use a legacy code page: never crash on printing a name.
        sys.stdout.reconfigure(errors="replace")
    try:
        return serve(args.host, args.port)
    except KeyboardInterrupt:  # Ctrl+C
        print("\n* server stopped, goodbye", flush=True)
        return 0  # the worker is a daemon thread: it ends with the program


if __name__ == "__main__":
    sys.exit(main())
