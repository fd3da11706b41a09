"""Scripted chat users that talk to a student's server over real sockets.

Each user owns one TCP connection and a reader thread that feeds every byte
into a ``protocol.TextStream``; waits are ``deadline = monotonic() + t`` loops
on a condition the readers notify, never a fixed sleep and hope.  A shared
``Transcript`` records who sent what and who got what, and when, so that a
failed check can show the scenario step by step.

The users adapt to the server (DESIGN.md: lenient about form):
* if the server speaks first (``NICK``, ``Ваше имя:``, a welcome) they answer
  with the nickname, otherwise they send it first;
* they pace themselves: after the nickname they wait until the server visibly
  reacts (or a short settle time), so that a raw ``recv(1024)`` server does
  not read the nickname and the first message as one.
What was learnt about the server goes into a shared ``Profile``.
"""
from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Union

from autograder.wire.names import Cast, SameNames
from autograder.wire.protocol import NAME_WINDOW, TextStream, count_occurrences, find_message, has_name, relayed_words, shown_names, visible_bytes
from autograder.results import CheckFailed, Msg, msg
from autograder.waiting import wait_until

# Timings in seconds; generous enough for a busy two-core machine.
CONNECT_TIMEOUT = 5.0
# A crowd arriving at once may find a small listen() backlog full: Linux then drops
# the SYN and retries it after 1, 3, 7 and 15 s, while the server works through the
# queue; a user in a crowd waits for those retries.
CROWD_CONNECT_TIMEOUT = 20.0
CROWD_PACE = 0.01  # seconds between arrivals: people, not a SYN flood
GREETING_WAIT = 1.0  # how long a server may take to say something first
PROMPT_WAIT = 3.0  # once we know it prompts, how long we wait for the prompt
QUIET = 0.15  # a pause this long means the server finished talking
REACTION_WAIT = 0.4  # settle time after the nickname when nothing visibly reacts
MAX_ENTRIES = 4000  # transcript entries kept per scenario
MAX_KEPT = 1024 * 1024  # bytes of a server's output one user keeps; a flood beyond is only counted


def send_buffer_ceiling() -> int:
    """The most a TCP socket here may hold unsent (Linux: the last tcp_wmem
    figure; small inside the grader's own network namespace); elsewhere a
    generous guess."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem", encoding="ascii") as handle:
            return int(handle.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return 8 * 1024 * 1024


@dataclass
class Profile:
    """What the grader learnt about the server's form (reported as `detected`)."""

    handshake: Optional[str] = None  # "prompt" | "nickname-first"
    prompt: Optional[str] = None
    echo: Optional[bool] = None
    framing: Optional[str] = None  # "lines" | "raw"
    history: Optional[bool] = None
    notices: Optional[bool] = None
    greeting: Optional[bytes] = None  # the server's first words, byte for byte
    udp_join: Optional[str] = None  # how the student's client registers, "{name}" for the nickname
    udp_leave: Optional[str] = None
    udp_message: Optional[str] = None  # "{name}: {text}" if the client wraps its messages
    # TCP frames of the student's own protocol, learnt from their client (frames.FrameShape);
    # set only while the checks are driven by "learned wire" users.
    wire_join: Optional[object] = None
    wire_message: Optional[object] = None
    names: Optional[str] = None  # "shown by the server": it names users itself (Гость 1, ip:port)
    nickname_step: Optional[bool] = None  # False: the nickname we gave was relayed as a chat line
    # Asked for a field still None that may become known later (a UDP client's leave form, learnt
    # only when it quits): the users start before it is known and ask when they need it.
    pending: Optional[Callable[[str], Optional[str]]] = None

    def known(self, name: str):
        value = getattr(self, name)
        if value is None and self.pending is not None:
            value = self.pending(name)
            setattr(self, name, value)
        return value

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()
                if v is not None and not isinstance(v, bytes) and not k.startswith("wire_") and k != "pending"}


def make_entry(t: float, who: str, kind: str, text: Union[str, Msg]) -> dict:
    """One transcript entry as stored in report.json; a note keeps its key and params to be translated."""
    if not isinstance(text, Msg):
        return {"t": t, "who": who, "kind": kind, "text": text}
    entry = {"t": t, "who": who, "kind": kind, "text": text.text("en"), "key": text.key}
    if text.params:
        entry["params"] = {name: value if isinstance(value, (int, float, bool)) or value is None else str(value)
                           for name, value in text.params.items()}
    return entry


class Transcript:
    """Everything said and heard in one scenario, with times."""

    def __init__(self, observer=None) -> None:
        self.t0 = time.monotonic()
        self.entries: List[dict] = []
        self.observer = observer  # e.g. the live view; told of every entry
        self._lock = threading.Lock()

    def add(self, who: str, kind: str, text: Union[str, Msg]) -> None:
        """``text``: the bytes' text for what was said; a ``Msg`` for a note in the grader's words."""
        entry = make_entry(round(time.monotonic() - self.t0, 3), who, kind, text)
        with self._lock:
            self.entries.append(entry)
            if len(self.entries) >= MAX_ENTRIES:  # a flood: keep how it began and what is recent
                del self.entries[MAX_ENTRIES // 4: MAX_ENTRIES // 2]
        if self.observer is not None:
            self.observer.entry(entry)

    def as_data(self, limit: int = 200) -> List[dict]:
        with self._lock:
            entries = list(self.entries)
        if len(entries) > limit:
            head, tail = entries[: limit // 2], entries[-limit // 2 :]
            skipped = len(entries) - len(head) - len(tail)
            entries = head + [make_entry(tail[0]["t"], "", "note", msg("note.skipped_entries", count=skipped))] + tail
        return entries


class Room:
    """The users of one scenario and the condition their readers notify."""

    def __init__(self, address: tuple, profile: Profile, transcript: Optional[Transcript] = None,
                 kind: str = "tcp", user_factory: Optional[Callable[[str, "Room"], "ScriptedUser"]] = None,
                 cast: Optional[Cast] = None) -> None:
        self.address = address
        # Checks name roles ("alice"); the users are called what the run drew (names.py).
        self.cast = cast or SameNames()
        self.kind = kind
        # Who plays a user: a wire client by default; the student's own client when puppeted.
        self.user_factory = user_factory or (UdpUser if kind == "udp" else ScriptedUser)
        self.profile = profile
        self.transcript = transcript or Transcript()
        self.changed = threading.Condition()
        self.users: Dict[str, "ScriptedUser"] = {}
        self._tokens = itertools.count(1)

    # -- users --------------------------------------------------------------
    def connect(self, name: str, patient: bool = False, **options) -> "ScriptedUser":
        """``name``: the user's role; the user is called by the name drawn for it."""
        user = self.user_factory(self.cast.name(name), self)
        if patient:
            user.connect_timeout = CROWD_CONNECT_TIMEOUT
        user.connect(**options)
        self.users[name] = user
        return user

    def join(self, *names: str) -> List["ScriptedUser"]:
        """Connect and introduce users one after another (order matters for notices)."""
        return [self.connect(name).introduce() for name in names]

    def join_together(self, names: List[str]) -> List["ScriptedUser"]:
        """Many users arriving at once, each connecting and introducing itself in its own thread.

        Not "everyone connects, then everyone introduces": a server that reads the
        nickname inside its accept loop takes the next connection only after the
        previous user answered, so with a small backlog the later connects would
        wait for answers that are never sent.
        """
        arrived: Dict[str, "ScriptedUser"] = {}
        failures: List[CheckFailed] = []
        for name in names:  # drawn here, not in the threads: one name per role
            self.cast.name(name)

        def arrive(name: str) -> None:
            try:
                arrived[name] = self.connect(name, patient=True).introduce()
            except CheckFailed as failure:
                failures.append(failure)

        threads = [threading.Thread(target=arrive, args=(name,), name=f"arrive-{name}", daemon=True)
                   for name in names]
        for thread in threads:
            thread.start()
            time.sleep(CROWD_PACE)
        deadline = time.monotonic() + CROWD_CONNECT_TIMEOUT + PROMPT_WAIT + REACTION_WAIT + 5
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if failures:
            raise failures[0]
        return [arrived[name] for name in names if name in arrived]

    def close(self) -> None:
        for user in self.users.values():
            user.dispose()

    def token(self, stem: str = "msg") -> str:
        """A message text that cannot be confused with anything else (its words drawn for the run)."""
        return self.cast.token(stem, next(self._tokens))

    def name_of(self, role: str) -> str:
        """What the user playing ``role`` is called (a drawn name passes through)."""
        return self.cast.names.get(role, role)

    # -- waiting --------------------------------------------------------------
    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        return wait_until(self.changed, condition, timeout)

    def quiet_down(self, quiet: float = QUIET, at_most: float = 1.5) -> None:
        """Wait until nobody has received anything for ``quiet`` seconds."""
        deadline = time.monotonic() + at_most
        while True:
            last = max((u.last_data for u in self.users.values()), default=0.0)
            idle = time.monotonic() - last
            left = deadline - time.monotonic()
            if idle >= quiet or left <= 0:
                return
            with self.changed:
                self.changed.wait(max(0.01, min(quiet - idle, left)))

    def settle(self, quiet: float = QUIET, at_most: float = 1.5) -> None:
        """Let the server finish talking, then forget what arrived so far
        (prompts, join notices, history): later expectations start here."""
        self.quiet_down(quiet, at_most)
        for user in self.users.values():
            user.mark()

    def bytes_received(self) -> int:
        return sum(u.stream.byte_count for u in self.users.values())

    # -- names as the server shows them -------------------------------------------
    def learn_shown_names(self, said: Dict[str, str], users: List["ScriptedUser"]) -> Dict[str, str]:
        """Each sender's name as the server shows it, from what precedes their
        words (``said``: text by sender) at the others; {} if the server names nobody.
        The learnt names count as the users' names from then on."""
        prefixes: Dict[str, List[str]] = {}
        for sender in users:
            body = said.get(sender.name)
            for receiver in users:
                prefix = receiver.prefix_before(body) if body and receiver is not sender else None
                if prefix is not None:
                    prefixes.setdefault(sender.name, []).append(prefix)
        names = shown_names(prefixes)
        for user in users:
            if user.name in names and not has_name(names[user.name], user.name):
                user.shown_as = names[user.name]
        if names and not any(has_name(names[u.name], u.name) for u in users if u.name in names):
            self.profile.names = "shown by the server"
        return names

    def exchange(self, first: "ScriptedUser", second: "ScriptedUser", timeout: float) -> Dict[str, str]:
        """``first`` says a word that ``second`` should get, then the other way round:
        what each said, by name, for learning how the server relays and names."""
        said = {}
        for sender, receiver in ((first, second), (second, first)):
            said[sender.name] = body = self.token("relay")
            sender.say(body)
            self.wait_until(lambda: receiver.find(body) is not None, timeout)
        return said


class ScriptedUser:
    """One person in the chat, as a program."""

    def __init__(self, name: str, room: Room) -> None:
        self.name = name
        self.room = room
        self.stream = TextStream()
        self.cursor = 0  # text before this belongs to earlier events
        self.sock: Optional[socket.socket] = None
        self.closed_by_server = False
        self.closed_at: Optional[float] = None  # when (time.monotonic) the server ended the connection
        self.reset_by_server = False
        self.last_data = 0.0
        self.first_bytes = b""
        self.joined = False
        self._leaving = False  # we closed on purpose: our reader's errors are not news
        self._reader: Optional[threading.Thread] = None
        self.connect_timeout = CONNECT_TIMEOUT
        self._may_read = threading.Event()  # cleared: a user who stopped reading (stop_reading)
        self._may_read.set()
        self.shown_as: Optional[str] = None  # the name the server shows for us, if not ours
        self.introduced_with = name  # the words we introduced ourselves with (relayed, they are no notice)
        self.local_address: Optional[tuple] = None

    # -- connection -----------------------------------------------------------
    def connect(self, receive_buffer: Optional[int] = None) -> "ScriptedUser":
        """``receive_buffer``: a small SO_RCVBUF, for a user who will stop reading
        (set before connecting, so the window it offers stays small)."""
        family = socket.AF_INET6 if ":" in self.room.address[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.settimeout(self.connect_timeout)
        try:
            sock.connect(self.room.address)
        except OSError as error:
            sock.close()
            self.room.transcript.add(self.name, "note", msg("note.connect_failed", error=error))
            raise CheckFailed(msg("fail.connect", who=self.name, error=str(error)),
                              hint=msg("hint.connect")) from error
        sock.settimeout(None)
        self.sock = sock
        self.local_address = sock.getsockname()[:2]
        self.room.transcript.add(self.name, "note", msg("note.connected"))
        self._reader = threading.Thread(target=self._read, name=f"reader-{self.name}", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        sock = self.sock
        while True:
            self._may_read.wait()
            if self._leaving:
                return
            try:
                data = sock.recv(65536)
            except OSError as error:
                if self._leaving:
                    return
                reset = isinstance(error, ConnectionResetError)
                if reset:
                    self.room.transcript.add(self.name, "note", msg("note.reset_by_server"))
                self.reset_by_server = reset
                self.ended_by_server()
                return
            if not data:
                if self._leaving:
                    return
                self.room.transcript.add(self.name, "note", msg("note.server_closed"))
                with self.room.changed:
                    self.stream.close()
                self.ended_by_server()
                return
            self.received(data)

    def ended_by_server(self) -> None:
        """The server (or, for a puppet, the client program) ended this user's connection: now."""
        with self.room.changed:
            self.closed_by_server = True
            self.closed_at = time.monotonic()
            self.room.changed.notify_all()

    def received(self, data: bytes, frame: bytes = b"") -> None:
        """What the server sent: into the transcript as it came, into the text
        stream with ``frame`` after it (a datagram's end)."""
        self.room.transcript.add(self.name, "recv", visible_bytes(data))
        if not self.first_bytes:
            self.first_bytes = data
        with self.room.changed:
            if self.stream.byte_count < MAX_KEPT:
                self.stream.feed(data + frame)
            else:
                self.stream.byte_count += len(data)  # a flood: count it, do not keep it
            self.last_data = time.monotonic()
            self.room.changed.notify_all()

    @property
    def text(self) -> str:
        return self.stream.text

    @property
    def new_text(self) -> str:
        return self.stream.text[self.cursor :]

    def mark(self) -> None:
        with self.room.changed:
            self.cursor = len(self.stream.text)

    def send_raw(self, data: bytes, note: Union[str, Msg, None] = None) -> bool:
        self.room.transcript.add(self.name, "send", note or visible_bytes(data))
        try:
            self.sock.sendall(data)
            return True
        except OSError as error:
            self.room.transcript.add(self.name, "note", msg("note.send_failed", error=error))
            return False

    def frame(self, text: str) -> bytes:
        """The bytes that carry one message: a line, or the frame learnt from the client."""
        shape = self.room.profile.wire_message
        if shape is not None:
            return shape.render(text, self.name)
        return (text + "\n").encode("utf-8")

    def say(self, text: str) -> bool:
        return self.send_raw(self.frame(text))

    def send_in_background(self, data: bytes, note: Union[str, Msg]) -> threading.Thread:
        """Send a lot without waiting: the server may stop reading us (that is what is tested)."""
        self.room.transcript.add(self.name, "send", note)
        sock = self.sock

        def send() -> None:
            try:
                sock.sendall(data)
            except OSError:
                pass

        thread = threading.Thread(target=send, name=f"sender-{self.name}", daemon=True)
        thread.start()
        return thread

    def stop_reading(self) -> None:
        """From now on this user reads nothing, like a client whose program hangs:
        what the server sends piles up in the socket buffers."""
        self.room.transcript.add(self.name, "note", msg("note.stops_reading"))
        self._may_read.clear()

    # -- the nickname handshake ---------------------------------------------
    def introduce(self) -> "ScriptedUser":
        """Answer the server's first words with our nickname, or speak first."""
        profile = self.room.profile
        if profile.handshake != "nickname-first":
            wait = PROMPT_WAIT if profile.handshake == "prompt" else GREETING_WAIT
            spoke = self.room.wait_until(lambda: self.stream.byte_count > 0 or self.closed_by_server, wait)
            if spoke and self.stream.byte_count:
                # The server has spoken, so it is ready to read: answer now.
                if profile.handshake is None:
                    profile.handshake = "prompt"
                    profile.prompt = self.text.strip()[:80]
                    profile.greeting = self.first_bytes
            elif profile.handshake is None:
                profile.handshake = "nickname-first"
        before = self.room.bytes_received()
        self.mark()
        if profile.wire_join is not None:
            self.send_raw(profile.wire_join.render(self.name, self.name))
        else:
            self.say(self.name)
        # Pace like a human: wait for any visible reaction before going on.
        # Once anything arrives the server has read the nickname.
        self.room.wait_until(lambda: self.room.bytes_received() > before or self.closed_by_server, REACTION_WAIT)
        self.joined = True
        return self

    def wait_quiet(self, quiet: float = QUIET, at_most: float = 1.0) -> None:
        """Wait until this user has heard nothing for ``quiet`` seconds."""
        deadline = time.monotonic() + at_most
        while time.monotonic() < deadline:
            idle = time.monotonic() - self.last_data
            if idle >= quiet:
                return
            with self.room.changed:
                self.room.changed.wait(max(0.01, min(quiet - idle, deadline - time.monotonic())))

    # -- expectations (return facts; the checks decide what they mean) -------
    def wait_for_text(self, body: str, timeout: float) -> bool:
        return self.room.wait_until(lambda: body in self.stream.text[self.cursor :], timeout)

    def wait_for_mention(self, user: Union[str, "ScriptedUser"], timeout: float) -> bool:
        return self.wait_for_notice(user, timeout)

    def wait_for_notice(self, user: Union[str, "ScriptedUser"], timeout: float, exclude: Optional[str] = None) -> bool:
        """A line naming ``user`` (any way the server knows them) that is not just
        ``exclude`` relayed back (a UDP server that does not know our leave
        command relays it as chat)."""
        return self.room.wait_until(lambda: bool(self.notices_of(user, exclude=exclude)), timeout)

    def notices_of(self, user: Union[str, "ScriptedUser"], start: Optional[int] = None,
                   exclude: Optional[str] = None, relayed: Optional[tuple] = None,
                   before: Optional[str] = None) -> List[str]:
        """The lines since ``start`` (default: the cursor), up to the text ``before``
        if given, that name ``user``; without those holding ``exclude``, and without
        ``relayed`` = (prefix, words): the user's own words passed on as a chat line."""
        names = user.known_as() if isinstance(user, ScriptedUser) else [self.room.name_of(user)]
        text = self.stream.text[self.cursor if start is None else start:]
        if before and before in text:  # the line that holds ``before`` and all after it are not looked at
            text = text[:text.rfind("\n", 0, text.index(before)) + 1]
        lines = text.split("\n")
        return [line for line in lines if any(has_name(line, name) for name in names)
                and not (exclude and exclude in line)
                and not (relayed and relayed_words(line, *relayed))]

    def known_as(self) -> List[str]:
        """Every way a server may name us: our nickname, the name it shows for us,
        our address (servers that name users ``127.0.0.1:51908``)."""
        names = [self.name] + ([self.shown_as] if self.shown_as else [])
        if self.local_address:
            host, port = self.local_address
            names += [f"{host}:{port}", f"('{host}', {port})"]
        return names

    def prefix_before(self, body: str) -> Optional[str]:
        """What stands before ``body`` on its line (at most ``NAME_WINDOW`` characters)."""
        found = self.find(body)
        if found is None:
            return None
        line_start = self.stream.text.rfind("\n", 0, found.start) + 1
        return self.stream.text[max(line_start, found.start - NAME_WINDOW, self.cursor):found.start]

    def find(self, body: str, sender: Optional[str] = None):
        sender = self.room.name_of(sender) if sender else sender
        return find_message(self.stream.text, body, sender, self.cursor)

    def find_from(self, body: str, sender: Optional[str], start: int):
        sender = self.room.name_of(sender) if sender else sender
        return find_message(self.stream.text, body, sender, max(start, self.cursor))

    def count(self, body: str) -> int:
        return count_occurrences(self.stream.text, body, self.cursor)

    def still_connected(self) -> bool:
        return not self.closed_by_server

    # -- leaving ---------------------------------------------------------------
    def dispose(self) -> None:
        """The scenario is over: go, the quickest way."""
        self.close()

    def close(self) -> None:
        """A clean goodbye: FIN, as when a client program exits."""
        if self.sock is None:
            return
        self.room.transcript.add(self.name, "note", msg("note.closes"))
        self._leaving = True
        self._may_read.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.sock = None

    def vanish(self) -> None:
        """An abrupt end: RST, as when a laptop lid closes or a process is killed."""
        if self.sock is None:
            return
        self.room.transcript.add(self.name, "note", msg("note.vanishes_reset"))
        self._leaving = True
        self._may_read.set()
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # Our reader is blocked in recv(), which keeps the socket alive on
            # Linux even after close(): wake it first, or no RST goes out.
            self.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        if self._reader is not None:
            self._reader.join(timeout=1.0)
        self.sock.close()
        self.sock = None


class UdpUser(ScriptedUser):
    """A chat user over UDP: one datagram is one message.

    Registration and leaving use the forms the student's own client was seen
    to send (``Profile.udp_join``/``udp_leave``), else ``/join NAME`` — a
    server that takes any first datagram as the nickname still registers a
    name that contains ours — and ``/leave``.
    """

    left_with: Optional[str] = None

    def connect(self) -> "UdpUser":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.connect(self.room.address)  # only the server's datagrams reach us
        self.sock = sock
        self.local_address = sock.getsockname()[:2]
        self._reader = threading.Thread(target=self._read, name=f"reader-{self.name}", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        sock = self.sock
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionRefusedError:
                continue  # an ICMP "port unreachable" from an earlier send; not news
            except OSError:
                return
            # The datagram is the frame: keep messages apart in the text.
            self.received(data, b"" if data.endswith(b"\n") else b"\n")

    def send_raw(self, data: bytes, note: Union[str, Msg, None] = None) -> bool:
        self.room.transcript.add(self.name, "send", note or visible_bytes(data))
        try:
            self.sock.send(data)
            return True
        except OSError as error:
            self.room.transcript.add(self.name, "note", msg("note.send_failed", error=error))
            return False

    def say(self, text: str) -> bool:
        form = self.room.profile.udp_message or "{text}"
        return self.send_raw(form.replace("{name}", self.name).replace("{text}", text).encode("utf-8"))

    def introduce(self) -> "UdpUser":
        form = self.room.profile.udp_join or "/join {name}"
        before = self.room.bytes_received()
        self.introduced_with = form.replace("{name}", self.name)
        self.send_raw(self.introduced_with.encode("utf-8"))
        self.room.wait_until(lambda: self.room.bytes_received() > before, REACTION_WAIT)
        self.joined = True
        return self

    def close(self) -> None:
        if self.sock is None:
            return
        form = self.room.profile.known("udp_leave") or "/leave"
        leave = form.replace("{name}", self.name)
        # A leave datagram that names us is a notice when relayed; "/leave" relayed as chat is not.
        self.left_with = None if "{name}" in form else leave
        self.send_raw(leave.encode("utf-8"))
        self.room.transcript.add(self.name, "note", msg("note.leaves"))
        self._leaving = True
        self.sock.close()
        self.sock = None

    def vanish(self) -> None:
        if self.sock is None:
            return
        self.room.transcript.add(self.name, "note", msg("note.vanishes_silently"))
        self._leaving = True
        self.sock.close()
        self.sock = None
