"""Benchmark submission `hung` (client): a client that hangs before it connects, written
for benchmarks/grade_speed.py (our own code, not a student's).

What it shows: the client half of a hung submission. client_connects waits out its
5 s deadline and the other client checks depend on it.

Why hung here, not a working client: with a client that works, the grader sees that
its own users got nothing through the silent server and plays the server checks a
second time through copies of this client (drivers.py, the "puppet" way), which
measures that second pass rather than the deadlines of one (about 50 s instead of
about 30 s on the current code). A client that never connects rules that pass out.

Why deterministic: it sleeps; nothing it does depends on the server or the clock.
"""
import time

time.sleep(3600)
