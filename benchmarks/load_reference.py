"""Load test for the reference TCP chat server (reference_solution/tcp/server.py).

What it does:

1. starts the reference server as a child process on 127.0.0.1 with --port 0;
2. connects N clients and completes the nickname handshake for each;
3. every client sends `rate` messages per second for `duration` seconds. Each
   message carries its send time, so every receiver can compute the fan-out
   latency (send -> arrival at that receiver). One message fans out to N-1
   deliveries, so the server has to deliver N * rate * (N-1) lines per second;
4. waits until every delivery has arrived (or --drain seconds have passed),
   then stops the server and reports deliveries per second and latency
   percentiles, human-readable or as JSON (--json).

The load generator lives in this one process: a few threads, each running a
`selectors` loop over its share of the client sockets, so 500 clients need no
500 threads. Send times are time.perf_counter_ns() of this process; latencies
therefore include the generator's own scheduling delay (an upper bound).
Everything stays on loopback and the run is bounded in time.

Usage:
    python benchmarks/load_reference.py --clients 100 --rate 1 --duration 10
    python benchmarks/load_reference.py --clients 500 --rate 1 --duration 10 --json
"""
from __future__ import annotations

import argparse
import heapq
import json
import re
import selectors
import socket
import subprocess
import sys
import threading
import time
from array import array
from pathlib import Path

SERVER_SCRIPT = Path(__file__).resolve().parents[1] / "reference_solution" / "tcp" / "server.py"
LISTENING_LINE = re.compile(rb"listening on (\S+):(\d+)")
STARTUP_TIMEOUT = 15.0
HANDSHAKE_TIMEOUT = 15.0
RECEIVE_SIZE = 1 << 18
MAX_CLIENTS = 500

try:  # optional: server CPU usage
    import psutil
except ImportError:  # pragma: no cover - psutil is in the project's venv
    psutil = None


def raise_open_file_limit(needed: int) -> None:
    """Raise the soft RLIMIT_NOFILE (POSIX) so N sockets here and N in the server fit."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Server:
    """The reference server as a child process; its output is drained by a thread."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(SERVER_SCRIPT), "--host", "127.0.0.1", "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stderr = bytearray()
        self.port = self._read_port()
        # The server logs every join and leave; keep reading so it never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(self.process.stdout, None), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.process.stderr, self.stderr), daemon=True).start()

    def _read_port(self) -> int:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = LISTENING_LINE.search(line)
            if match:
                return int(match.group(2))
        self.stop()
        raise RuntimeError("the reference server did not start")

    @staticmethod
    def _drain(pipe, sink) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            if sink is not None:
                sink.extend(chunk)

    def cpu_seconds(self) -> float | None:
        if psutil is None:
            return None
        try:
            times = psutil.Process(self.process.pid).cpu_times()
            return times.user + times.system
        except psutil.Error:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Client:
    """One chat user of the load generator (non-blocking after the handshake)."""

    def __init__(self, index: int, port: int) -> None:
        self.index = index
        self.nick = f"u{index}"
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT)
        self.buffer = b""  # received bytes not yet cut into lines
        self.outgoing = bytearray()  # bytes the socket would not take yet
        self.sent = 0

    def handshake(self) -> None:
        self._read_until(b"NICK\n")
        self.sock.sendall(f"{self.nick}\n".encode())
        self._read_until(b"* welcome")
        self.sock.setblocking(False)

    def _read_until(self, marker: bytes) -> None:
        """Consume received lines up to and including the one containing marker."""
        while marker not in self.buffer or b"\n" not in self.buffer[self.buffer.index(marker):]:
            chunk = self.sock.recv(RECEIVE_SIZE)
            if not chunk:
                raise RuntimeError(f"{self.nick}: server closed the connection during the handshake")
            self.buffer += chunk
        end_of_line = self.buffer.index(b"\n", self.buffer.index(marker))
        self.buffer = self.buffer[end_of_line + 1:]


class Shard(threading.Thread):
    """A thread with one selector driving a share of the clients: sends on schedule, receives everything."""

    def __init__(self, clients, rate: float, start_at: float, send_until: float, total_clients: int, done) -> None:
        super().__init__(daemon=True)
        self.clients = clients
        self.interval = 1.0 / rate
        self.send_until = send_until
        self.done = done
        self.latencies_ns = array("q")
        self.received = 0
        self.sent = 0
        self.last_delivery = 0.0
        self.error = None  # what stopped this thread early, if anything
        self.selector = selectors.DefaultSelector()
        # Spread the first messages evenly over one interval so the load is smooth.
        self.schedule = [
            (start_at + self.interval * client.index / total_clients, client.index, client) for client in clients
        ]
        heapq.heapify(self.schedule)
        for client in clients:
            self.selector.register(client.sock, selectors.EVENT_READ, client)

    def run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # reported in the result instead of a thread traceback
            self.error = f"{type(error).__name__}: {error}"

    def _loop(self) -> None:
        while not self.done.is_set():
            now = time.perf_counter()
            while self.schedule and self.schedule[0][0] <= now:
                due, index, client = heapq.heappop(self.schedule)
                if due < self.send_until:
                    self._send(client, f"{client.sent} {time.perf_counter_ns()}\n".encode())
                    heapq.heappush(self.schedule, (due + self.interval, index, client))
            wait = 0.05
            if self.schedule:
                wait = min(wait, max(0.0, self.schedule[0][0] - time.perf_counter()))
            for key, events in self.selector.select(wait):
                client = key.data
                if events & selectors.EVENT_READ:
                    self._receive(client)
                if events & selectors.EVENT_WRITE:
                    self._flush(client)

    def _send(self, client: Client, data: bytes) -> None:
        client.sent += 1
        self.sent += 1
        client.outgoing += data
        self._flush(client)

    def _flush(self, client: Client) -> None:
        try:
            written = client.sock.send(client.outgoing)
        except BlockingIOError:
            written = 0
        del client.outgoing[:written]
        wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outgoing else 0)
        if self.selector.get_key(client.sock).events != wanted:
            self.selector.modify(client.sock, wanted, client)

    def _receive(self, client: Client) -> None:
        try:
            chunk = client.sock.recv(RECEIVE_SIZE)
        except BlockingIOError:
            return
        if not chunk:
            raise RuntimeError(f"{client.nick}: the server closed the connection (dropped as too slow?)")
        arrived = time.perf_counter_ns()
        *lines, client.buffer = (client.buffer + chunk).split(b"\n")
        for line in lines:
            if line.startswith(b"*"):
                continue  # join/leave notices
            self.latencies_ns.append(arrived - int(line.rsplit(b" ", 1)[1]))
            self.received += 1
        if lines:
            self.last_delivery = time.perf_counter()


def percentile(sorted_values, fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    position = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[position]


def run(clients_count: int, rate: float, duration: float, threads: int, drain: float) -> dict:
    raise_open_file_limit(2 * clients_count + 256)
    server = Server()
    clients = []
    try:
        connect_started = time.perf_counter()
        for index in range(clients_count):
            client = Client(index, server.port)
            client.handshake()
            clients.append(client)
        connect_seconds = time.perf_counter() - connect_started

        done = threading.Event()
        start_at = time.perf_counter() + 0.5
        send_until = start_at + duration
        shards = [
            Shard(clients[number::threads], rate, start_at, send_until, clients_count, done)
            for number in range(threads)
        ]
        cpu_before = server.cpu_seconds()
        generator_cpu_before = time.process_time()  # all threads of this process
        for shard in shards:
            shard.start()

        # Wait for the sending window, then for every delivery (or the drain limit).
        give_up_at = send_until + drain
        while time.perf_counter() < give_up_at and all(shard.is_alive() for shard in shards):
            sent = sum(shard.sent for shard in shards)
            received = sum(shard.received for shard in shards)
            if time.perf_counter() >= send_until and received >= sent * (clients_count - 1):
                break
            time.sleep(0.05)  # a progress poll, not a wait for an event
        done.set()
        for shard in shards:
            shard.join(10)
        cpu_after = server.cpu_seconds()
        generator_cpu = time.process_time() - generator_cpu_before
    finally:
        server.stop()
        for client in clients:
            client.sock.close()

    sent = sum(shard.sent for shard in shards)
    expected = sent * (clients_count - 1)
    received = sum(shard.received for shard in shards)
    last_delivery = max(shard.last_delivery for shard in shards)
    window = max(1e-9, last_delivery - start_at)
    latencies = sorted(value for shard in shards for value in shard.latencies_ns)
    server_cpu = None
    if cpu_before is not None and cpu_after is not None:
        server_cpu = (cpu_after - cpu_before) / window
    return {
        "schema": 1,
        "clients": clients_count,
        "rate_per_client": rate,
        "duration_s": duration,
        "generator_threads": threads,
        "connect_and_join_s": round(connect_seconds, 3),
        "messages_sent": sent,
        "fan_out": clients_count - 1,
        "deliveries_expected": expected,
        "deliveries_received": received,
        "deliveries_missing": expected - received,
        "offered_deliveries_per_s": round(clients_count * rate * (clients_count - 1), 1),
        "delivered_per_s": round(received / window, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) / 1e6, 2),
            "p99": round(percentile(latencies, 0.99) / 1e6, 2),
            "max": round(latencies[-1] / 1e6, 2) if latencies else None,
        },
        "server_cpu_cores": None if server_cpu is None else round(server_cpu, 2),
        "generator_cpu_cores": round(generator_cpu / window, 2),
        "errors": [shard.error for shard in shards if shard.error],
        "server_stderr_tail": server.stderr.decode("utf-8", "replace")[-2000:],
    }


def describe(result: dict) -> str:
    latency = result["latency_ms"]
    lines = [
        f"reference TCP server, {result['clients']} clients x {result['rate_per_client']} msg/s for {result['duration_s']} s "
        f"({result['generator_threads']} generator threads)",
        f"  connect + join all clients : {result['connect_and_join_s']} s",
        f"  messages sent              : {result['messages_sent']} (fan-out {result['fan_out']} each)",
        f"  deliveries                 : {result['deliveries_received']} of {result['deliveries_expected']}"
        f" (missing {result['deliveries_missing']})",
        f"  delivered per second       : {result['delivered_per_s']} (offered {result['offered_deliveries_per_s']})",
        f"  fan-out latency            : p50 {latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms",
    ]
    if result["server_cpu_cores"] is not None:
        lines.append(f"  server CPU                 : {result['server_cpu_cores']} cores busy on average")
    lines.append(f"  load generator CPU         : {result['generator_cpu_cores']} cores busy on average")
    for error in result["errors"]:
        lines.append(f"  load generator error       : {error}")
    if "Traceback" in result["server_stderr_tail"]:
        lines.append("  server stderr:\n" + result["server_stderr_tail"])
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load test for the reference TCP chat server (loopback only)")
    parser.add_argument("--clients", type=int, default=100, help=f"number of clients, 2..{MAX_CLIENTS} (default 100)")
    parser.add_argument("--rate", type=float, default=1.0, help="messages per second per client (default 1)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending (default 10, max 120)")
    parser.add_argument("--threads", type=int, default=2, help="load generator threads (default 2)")
    parser.add_argument("--drain", type=float, default=15.0, help="max seconds to wait for late deliveries")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not 2 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be between 2 and {MAX_CLIENTS}")
    if not 0 < args.duration <= 120 or args.rate <= 0 or args.threads < 1:
        parser.error("--duration must be in (0, 120], --rate > 0, --threads >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args.clients, args.rate, args.duration, min(args.threads, args.clients), args.drain)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(describe(result))
    return 0 if result["deliveries_missing"] == 0 and not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
