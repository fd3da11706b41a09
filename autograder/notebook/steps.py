"""The checks a student calls from a notebook, one ``Step`` per piece of work.

A step names the student's functions it needs (looked up in the calling
cell's namespace, or passed in), refuses at once while any code it would run
still holds a ``TODO``, and otherwise runs scenarios: small stories with
scripted users (``autograder.clients``) against the student's code running
in threads of the kernel (``inprocess``).  Multi-user TCP servers are judged
by the grader's own ``check_*`` functions, given in-process adapters, so
"passes in the notebook" and "passes ``autograde``" mean the same thing;
what the grader cannot see (a registry that forgets users, an accept loop
that stops) has notebook-only scenarios next to them.

Each scenario ends in an ``Item``: passed, or not yet with the reason, the
expected and actual text, a hint, the transcript, and what the student's
threads printed or raised meanwhile.
"""
from __future__ import annotations

import inspect
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from autograder.grading import registry
from autograder.grading.probe import Relay
from autograder.grading.runner import verdict
from autograder.wire.clients import Profile, Room
from autograder.results import CheckFailed, Msg, msg
from autograder.notebook import student_code
from autograder.notebook.checklist import Checklist, Item
from autograder.notebook.inprocess import InProcessChild, InProcessGrading, InProcessServer, Peer, Screen, TcpServer, Typing, UdpServer, UdpUser, Watch, busy_cpu, call, shut, source_file, tcp_pair, wait_for

SCENARIO_SECONDS = 25.0  # a scenario that takes longer than this is reported, not waited for
RETURN_WAIT = 3.0  # how long a student's function may take to return once it should
THREAD_END_WAIT = 2.0  # how long a student's thread may take to end once it should
SHOW_WAIT = 3.0  # how long a message may take to be shown / to arrive


class StudentError(Exception):
    """The student's code raised: reported as their failure, with where."""

    def __init__(self, function: str, error: BaseException) -> None:
        super().__init__(f"{function}: {error!r}")
        self.function = function
        self.error = error


# -- the context a step runs in ----------------------------------------------------
@dataclass
class Context:
    lang: str
    code: Dict[str, object]  # the student's names this step uses
    namespace: Dict[str, object]
    watch: Watch
    checklist: Checklist
    profile: Profile = field(default_factory=Profile)
    grading: Optional[InProcessGrading] = None
    statuses: Dict[str, str] = field(default_factory=dict)
    serve_returned: List[bool] = field(default_factory=list)
    lock_stuck: bool = False  # the student's lock is held for good: later scenarios cannot run

    def student(self, name: str, *args, seconds: float = RETURN_WAIT, **kwargs):
        """Call the student's function ``name`` with a deadline; raise what it means."""
        function = self.code[name]
        outcome = call(function, *args, seconds=seconds, name=f"call-{name}", **kwargs)
        if not outcome.finished:
            raise CheckFailed(msg("nb.fail.timeout", function=name, seconds=seconds), hint=msg("nb.hint.timeout"))
        if outcome.error is not None:
            raise StudentError(name, outcome.error)
        return outcome.value

    def spawn(self, name: str, *args) -> "Running":
        """Start the student's function ``name`` in a thread and keep an eye on it."""
        return Running(name, self.code[name], args, self.watch)

    # -- the shared registry (``users`` / ``members``) -------------------------------
    def registry(self) -> Tuple[Optional[dict], Optional[object]]:
        for dict_name, lock_name in (("users", "users_lock"), ("members", "members_lock")):
            registry = self.code.get(dict_name)
            if isinstance(registry, dict):
                return registry, self.code.get(lock_name)
        return None, None

    def reset_registry(self) -> None:
        """Forget every user, as a fresh server process would (the grader restarts it per check)."""
        registry, lock = self.registry()
        if registry is None:
            return
        acquire = getattr(lock, "acquire", None)
        got = acquire(timeout=1.0) if acquire else False
        try:
            registry.clear()
        finally:
            if got:
                lock.release()
        if acquire and not got:
            self.lock_stuck = True
            note = msg("nb.note.lock_held")
            if note not in self.checklist.notes:
                self.checklist.notes.append(note)


class Running:
    """A student's function running in a thread started by the check."""

    def __init__(self, name: str, function: Callable, args, watch: Watch) -> None:
        self.name = name
        self.error: Optional[BaseException] = None
        self.done = threading.Event()
        self.threads_before = set(threading.enumerate())
        self.thread = threading.Thread(target=self._run, args=(function, args), name=f"chatlab-run-{name}",
                                       daemon=True)
        self.thread.start()

    def _run(self, function, args) -> None:
        try:
            function(*args)
        except BaseException as error:  # noqa: B902 - reported, not raised
            self.error = error
        finally:
            self.done.set()

    def returned(self, seconds: float) -> bool:
        return self.done.wait(seconds)

    def own_threads(self, exclude=()) -> List[threading.Thread]:
        """Threads the student's code started since this call began (ours excluded)."""
        excluded = set(exclude)
        return [t for t in threading.enumerate()
                if t not in self.threads_before and t not in excluded and not t.name.startswith("chatlab-")]

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise StudentError(self.name, self.error)


# -- scenarios -------------------------------------------------------------------
def scenario(ctx: Context, item_id: str, title, body: Callable, *, depends=(), seconds: float = SCENARIO_SECONDS,
             cleanup: Optional[Callable] = None) -> Item:
    """Run ``body()`` with a deadline and turn how it ended into a checklist item."""
    item = Item(item_id, title)
    ctx.checklist.items.append(item)
    for dependency in depends:
        status = ctx.statuses.get(dependency, "passed")
        if status != "passed":
            item.status = "skipped"
            title_of = next((i.title for i in ctx.checklist.items if i.id == dependency), dependency)
            item.message = msg("nb.skip.dependency", check=title_of.text(ctx.lang) if isinstance(title_of, Msg)
                               else str(title_of))
            ctx.statuses[item_id] = "skipped"
            return item
    if ctx.lock_stuck:
        item.status = "skipped"
        item.message = msg("nb.skip.lock_stuck")
        ctx.statuses[item_id] = "skipped"
        return item
    mark = ctx.watch.mark()
    started = time.monotonic()
    scene: Dict[str, object] = {}
    try:
        outcome = call(body, scene, seconds=seconds, name=f"scenario-{item_id}")
    finally:  # also when the student interrupts the kernel: stop what the scenario started
        item.duration = time.monotonic() - started
        try:
            if cleanup is not None:
                cleanup(scene)
        finally:
            for room in scene.get("rooms", []):
                room.close()
            for closer in scene.get("closers", []):
                closer()
    room = scene.get("room")
    if room is not None:
        item.transcript = room.transcript.as_data()
    error = outcome.error
    if not outcome.finished:
        item.status = "failed"
        item.message = msg("nb.fail.scenario_timeout", seconds=int(seconds))
        item.hint = msg("nb.hint.timeout")
    elif isinstance(error, StudentError):
        item.status = "failed"
        item.message = msg("nb.fail.raised", function=error.function,
                           error=f"{type(error.error).__name__}: {error.error}")
        item.hint = _hint_for(error.error)
        ctx.watch.record(f"{error.function}()", error.error)
    elif error is not None:  # read the way autograde reads it: failed, not applicable, or our error
        found = verdict(item_id, error)
        item.status, item.message, item.hint = found.status, found.message, found.hint
        item.expected, item.actual = found.expected, found.actual
    # A crash in one of the student's threads explains many failures; a TODO is the whole story.
    crashes = ctx.watch.errors_since(mark)
    todo = next((e for e in crashes if e.type == "NotImplementedError" and e.message.startswith("TODO")), None)
    if todo is not None and item.status == "passed":
        item.status = "failed"
        item.message = msg("nb.fail.todo_hit", todo=_todo_text(todo.message))
    item.output = ctx.watch.since(mark)
    ctx.statuses[item_id] = item.status
    return item


def _todo_text(text: str) -> str:
    return text[len("TODO"):].lstrip(" :") if text.startswith("TODO") else text


def _hint_for(error: BaseException) -> Optional[Msg]:
    if isinstance(error, NotImplementedError):
        return msg("nb.hint.todo")
    if isinstance(error, OSError):
        return msg("nb.hint.oserror")
    return msg("nb.hint.traceback")


def _scene_room(scene: dict, address) -> Room:
    room = Room(address, Profile())
    scene["room"] = room
    scene.setdefault("rooms", []).append(room)
    return room


def _closer(scene: dict, function: Callable) -> None:
    scene.setdefault("closers", []).append(function)


def expect(condition: bool, message: Msg, hint: Optional[Msg] = None, expected=None, actual=None) -> None:
    if not condition:
        raise CheckFailed(message, hint=hint, expected=expected, actual=actual)


# -- step registry ----------------------------------------------------------------
@dataclass
class Step:
    id: str
    short: str
    needs: Tuple[str, ...]
    optional: Tuple[str, ...]
    run: Callable[[Context], None]

    @property
    def title(self) -> Msg:
        return msg(f"nb.step.{self.short}")


STEPS: Dict[str, Step] = {}


def step(step_id: str, short: str, needs, optional=()):
    def register(function):
        STEPS[step_id] = Step(step_id, short, tuple(needs), tuple(optional), function)
        return function
    return register


# == 01: an echo server, and lines out of a byte stream ===================================
@step("01-echo", "echo", needs=["handle_echo"])
def run_echo(ctx: Context) -> None:
    handle_echo = ctx.code["handle_echo"]

    def start(scene) -> Tuple[TcpServer, socket.socket]:
        server = TcpServer(ctx.watch, handler=lambda conn, addr: handle_echo(conn), handler_name="handle_echo")
        server.handler_done = []
        original = server.handler

        def tracked(conn, addr):
            done = threading.Event()
            server.handler_done.append(done)
            try:
                original(conn, addr)
            finally:
                done.set()

        server.handler = tracked
        server.start()
        _closer(scene, server.stop)
        client = socket.create_connection(server.address, timeout=5)
        _closer(scene, lambda: shut(client))
        room = _scene_room(scene, server.address)
        room.transcript.add("you", "note", msg("note.connected"))
        return server, client

    def exchange(scene, data: bytes, label) -> bytes:
        server, client = start(scene)
        room = scene["room"]
        room.transcript.add("client", "send", label)
        sender = threading.Thread(target=_send_quietly, args=(client, data), name="chatlab-echo-send", daemon=True)
        sender.start()
        return _receive_exactly(client, len(data), seconds=5.0, room=room)

    def small(scene):
        got = exchange(scene, b"hello", "hello")
        expect(got == b"hello", msg("nb.fail.echo_short", sent=5, got=len(got)), msg("nb.hint.echo_loop"),
               expected="hello", actual=got.decode("utf-8", "replace"))

    def big(scene):
        data = bytes(range(256)) * 800  # 204800 bytes: more than one recv() returns
        got = exchange(scene, data, msg("note.bytes", count=len(data)))
        expect(len(got) == len(data), msg("nb.fail.echo_short", sent=len(data), got=len(got)),
               msg("nb.hint.echo_sendall"))
        expect(got == data, msg("nb.fail.echo_changed"), msg("nb.hint.echo_sendall"))

    def cyrillic(scene):
        text = "Привет, мир! Ёжик"
        got = exchange(scene, text.encode("utf-8"), text)
        expect(got == text.encode("utf-8"), msg("nb.fail.echo_changed"), msg("nb.hint.echo_bytes"),
               expected=text, actual=got.decode("utf-8", "replace"))

    def closes(scene):
        server, client = start(scene)
        room = scene["room"]
        client.sendall(b"bye")
        _receive_exactly(client, 3, seconds=5.0, room=room)
        room.transcript.add("client", "note", msg("note.shut_wr"))
        client.shutdown(socket.SHUT_WR)
        returned = wait_for(lambda: server.handler_done and server.handler_done[0].is_set(), RETURN_WAIT)
        expect(returned, msg("nb.fail.echo_no_return", seconds=RETURN_WAIT), msg("nb.hint.echo_close"))
        client.settimeout(RETURN_WAIT)
        try:
            rest = client.recv(1)
        except (socket.timeout, OSError):
            rest = None
        expect(rest == b"", msg("nb.fail.echo_not_closed"), msg("nb.hint.echo_with"))

    scenario(ctx, "echo_small", msg("nb.check.echo_small"), small)
    scenario(ctx, "echo_big", msg("nb.check.echo_big"), big, depends=["echo_small"])
    scenario(ctx, "echo_unicode", msg("nb.check.echo_unicode"), cyrillic, depends=["echo_small"])
    scenario(ctx, "echo_close", msg("nb.check.echo_close"), closes, depends=["echo_small"])


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass


def _receive_exactly(sock: socket.socket, size: int, seconds: float, room: Room) -> bytes:
    """Read until ``size`` bytes, the end, or the deadline: what came back."""
    deadline = time.monotonic() + seconds
    got = b""
    while len(got) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, OSError):
            break
        if not chunk:
            room.transcript.add("client", "note", msg("note.server_closed"))
            break
        got += chunk
    sock.settimeout(None)
    room.transcript.add("client", "recv", msg("note.bytes", count=len(got)) if size > 200 else got.decode("utf-8", "replace"))
    return got


class RecvAfterEnd(Exception):
    """recv() called again after it said the connection was closed."""


class ChunkedSocket:
    """A socket whose ``recv`` returns the bytes in the pieces we choose: the network's whims, on demand."""

    def __init__(self, chunks: List[bytes]) -> None:
        self._chunks = [c for c in chunks if c]
        self._ended = False
        self.calls = 0

    def recv(self, size: int, *flags) -> bytes:
        self.calls += 1
        if self.calls > 100000:
            raise RecvAfterEnd("recv() was called 100000 times")
        if not self._chunks:
            if self._ended:
                raise RecvAfterEnd("recv() was called again after it had returned b''")
            self._ended = True
            return b""
        chunk = self._chunks[0]
        if size < len(chunk):
            self._chunks[0] = chunk[size:]
            return chunk[:size]
        self._chunks.pop(0)
        return chunk

    def __repr__(self) -> str:
        return "<socket>"


LINES_DATA = "NICK\nalice\nПривет, мир!\n\nbye\nnot finish".encode("utf-8")
LINES_EXPECTED = ["NICK", "alice", "Привет, мир!", "", "bye"]


@step("01-lines", "lines", needs=["recv_lines"])
def run_lines(ctx: Context) -> None:
    def collect(chunks: List[bytes]):
        sock = ChunkedSocket(chunks)
        try:
            return _drain(ctx, sock)
        except StudentError as error:
            if isinstance(error.error, RecvAfterEnd):
                raise CheckFailed(msg("nb.fail.lines_recv_after_end"), hint=msg("nb.hint.lines_end")) from None
            raise

    def whole(scene):
        got = collect([LINES_DATA])
        expect(got == LINES_EXPECTED, msg("nb.fail.lines_wrong", split="—"), msg("nb.hint.lines_buffer"),
               expected=repr(LINES_EXPECTED), actual=repr(got))

    def every_split(scene):
        splits = [[LINES_DATA[:k], LINES_DATA[k:]] for k in range(1, len(LINES_DATA))]
        splits.append([LINES_DATA[k:k + 1] for k in range(len(LINES_DATA))])
        for chunks in splits:
            got = collect(chunks)
            where = str(len(chunks[0])) if len(chunks) == 2 else "1, 2, 3…"
            expect(got == LINES_EXPECTED, msg("nb.fail.lines_wrong", split=where), msg("nb.hint.lines_buffer"),
                   expected=repr(LINES_EXPECTED), actual=repr(got))

    scenario(ctx, "lines_whole", msg("nb.check.lines_whole"), whole)
    scenario(ctx, "lines_split", msg("nb.check.lines_split"), every_split, depends=["lines_whole"])


def _drain(ctx: Context, sock: ChunkedSocket) -> List[str]:
    def run():
        return list(ctx.code["recv_lines"](sock))
    outcome = call(run, seconds=RETURN_WAIT, name="recv_lines")
    if not outcome.finished:
        raise CheckFailed(msg("nb.fail.timeout", function="recv_lines", seconds=RETURN_WAIT),
                          hint=msg("nb.hint.lines_end"))
    if outcome.error is not None:
        raise StudentError("recv_lines", outcome.error)
    return outcome.value


# == 02: a two-user chat ===========================================================
@step("02-receive", "receive", needs=["receive_messages"])
def run_receive(ctx: Context) -> None:
    def start(scene):
        mine, theirs = tcp_pair()
        room = _scene_room(scene, mine.getsockname())
        peer = Peer("peer", room).adopt(theirs)
        screen = Screen(room)
        running = ctx.spawn("receive_messages", mine, screen)
        _closer(scene, lambda: shut(mine))
        return room, peer, screen, running

    def lines(scene):
        room, peer, screen, running = start(scene)
        for piece in (b"hel", b"lo\n\xd0\x9f\xd1\x80\xd0", b"\xb8\xd0\xb2\xd0\xb5\xd1\x82\nbye\n"):
            peer.send_raw(piece)
        wanted = ["hello", "Привет", "bye"]
        room.wait_until(lambda: all(screen.shows(w) for w in wanted), SHOW_WAIT)
        running.raise_if_failed()
        shown = [w for w in wanted if screen.shows(w)]
        expect(shown == wanted, msg("nb.fail.not_shown", text=", ".join(w for w in wanted if w not in shown)),
               msg("nb.hint.receive_loop"), expected="\n".join(wanted), actual=screen.text)
        order = [min(i for i, line in enumerate(screen.lines) if w in line) for w in wanted]
        expect(order == sorted(order), msg("nb.fail.order"), msg("nb.hint.receive_loop"),
               expected="\n".join(wanted), actual=screen.text)

    def ends(scene):
        room, peer, screen, running = start(scene)
        peer.say("one")
        room.wait_until(lambda: screen.shows("one"), SHOW_WAIT)
        peer.close()
        expect(running.returned(RETURN_WAIT), msg("nb.fail.no_return_close", function="receive_messages",
                                                  seconds=RETURN_WAIT), msg("nb.hint.receive_end"))
        running.raise_if_failed()

    def reset(scene):
        room, peer, screen, running = start(scene)
        peer.say("one")
        room.wait_until(lambda: screen.shows("one"), SHOW_WAIT)
        peer.vanish()
        expect(running.returned(RETURN_WAIT), msg("nb.fail.no_return_reset", function="receive_messages",
                                                  seconds=RETURN_WAIT), msg("nb.hint.receive_reset"))
        if running.error is not None:
            raise CheckFailed(msg("nb.fail.raised", function="receive_messages",
                                  error=f"{type(running.error).__name__}: {running.error}"),
                              hint=msg("nb.hint.receive_reset"))

    scenario(ctx, "receive_lines", msg("nb.check.receive_lines"), lines)
    scenario(ctx, "receive_end", msg("nb.check.receive_end"), ends, depends=["receive_lines"])
    scenario(ctx, "receive_reset", msg("nb.check.receive_reset"), reset, depends=["receive_lines"])


@step("02-typing", "typing", needs=["type_and_send"])
def run_typing(ctx: Context) -> None:
    def start(scene):
        mine, theirs = tcp_pair()
        room = _scene_room(scene, mine.getsockname())
        peer = Peer("peer", room).adopt(theirs)
        typing = Typing(room)
        _closer(scene, lambda: shut(mine))
        _closer(scene, typing.end)
        return room, peer, typing, ctx.spawn("type_and_send", mine, typing)

    def sends_then_quits(scene):
        room, peer, typing, running = start(scene)
        for line in ("hello there", "Привет"):
            typing.type(line)
            expect(peer.wait_for_text(line + "\n", SHOW_WAIT), msg("nb.fail.not_sent", text=line),
                   msg("nb.hint.send_line"), expected=line + "\n", actual=peer.text)
            running.raise_if_failed()
        typing.type("/quit")
        expect(peer.wait_for_text("/quit\n", SHOW_WAIT), msg("nb.fail.not_sent", text="/quit"),
               msg("nb.hint.chat_loop"), expected="/quit\n", actual=peer.text)
        expect(running.returned(RETURN_WAIT),
               msg("nb.fail.no_return_quit", function="type_and_send", seconds=RETURN_WAIT), msg("nb.hint.chat_loop"))
        running.raise_if_failed()

    def end_of_input(scene):
        room, peer, typing, running = start(scene)
        typing.end()
        expect(peer.wait_for_text("/quit\n", SHOW_WAIT), msg("nb.fail.not_sent", text="/quit"),
               msg("nb.hint.typing_eof"), expected="/quit\n", actual=peer.text)
        expect(running.returned(RETURN_WAIT),
               msg("nb.fail.no_return_quit", function="type_and_send", seconds=RETURN_WAIT), msg("nb.hint.typing_eof"))
        running.raise_if_failed()

    scenario(ctx, "typing_sends", msg("nb.check.typing_sends"), sends_then_quits)
    scenario(ctx, "typing_eof", msg("nb.check.typing_eof"), end_of_input, depends=["typing_sends"])


@step("02-two-user", "two_user", needs=["chat"])
def run_two_user(ctx: Context) -> None:
    def start(scene):
        mine, theirs = tcp_pair()
        room = _scene_room(scene, mine.getsockname())
        peer = Peer("peer", room).adopt(theirs)
        typing, screen = Typing(room), Screen(room)
        running = ctx.spawn("chat", mine, typing, screen)
        _closer(scene, lambda: shut(mine))
        _closer(scene, typing.end)
        expect(wait_for(lambda: typing.waiting.is_set() or running.done.is_set(), RETURN_WAIT),
               msg("nb.fail.never_asks", function="chat"), msg("nb.hint.chat_loop"))
        running.raise_if_failed()
        return room, peer, typing, screen, running

    def both(scene):
        room, peer, typing, screen, running = start(scene)
        body = "hi from the other side"
        peer.say(body)
        room.wait_until(lambda: screen.shows(body), SHOW_WAIT)
        running.raise_if_failed()
        expect(screen.shows(body), msg("nb.fail.not_shown_while_typing"), msg("nb.hint.chat_thread"),
               expected=body, actual=screen.text)

    def sends(scene):
        room, peer, typing, screen, running = start(scene)
        typing.type("hello there")
        expect(peer.wait_for_text("hello there\n", SHOW_WAIT), msg("nb.fail.not_sent", text="hello there"),
               msg("nb.hint.send_line"), expected="hello there\n", actual=peer.text)
        running.raise_if_failed()

    def quits(scene):
        room, peer, typing, screen, running = start(scene)
        peer.say("ping")
        room.wait_until(lambda: screen.shows("ping"), SHOW_WAIT)
        typing.type("/quit")
        expect(running.returned(RETURN_WAIT), msg("nb.fail.no_return_quit", function="chat", seconds=RETURN_WAIT),
               msg("nb.hint.chat_quit"))
        running.raise_if_failed()
        expect(room.wait_until(lambda: peer.closed_by_server, THREAD_END_WAIT), msg("nb.fail.not_closed"),
               msg("nb.hint.chat_quit"))
        left = running.own_threads()
        expect(wait_for(lambda: not any(t.is_alive() for t in left), THREAD_END_WAIT),
               msg("nb.fail.thread_left", function="chat", seconds=THREAD_END_WAIT), msg("nb.hint.chat_join"))

    def peer_leaves(scene):
        room, peer, typing, screen, running = start(scene)
        peer.close()
        left = running.own_threads()
        expect(wait_for(lambda: not any(t.is_alive() for t in left), THREAD_END_WAIT),
               msg("nb.fail.receiver_stays", seconds=THREAD_END_WAIT), msg("nb.hint.receive_end"))
        typing.type("/quit")
        expect(running.returned(RETURN_WAIT), msg("nb.fail.no_return_quit", function="chat", seconds=RETURN_WAIT),
               msg("nb.hint.chat_quit"))
        running.raise_if_failed()

    scenario(ctx, "chat_both", msg("nb.check.chat_both"), both)
    scenario(ctx, "chat_send", msg("nb.check.chat_send"), sends)
    scenario(ctx, "chat_quit", msg("nb.check.chat_quit"), quits, depends=["chat_send"])
    scenario(ctx, "chat_peer_left", msg("nb.check.chat_peer_left"), peer_leaves, depends=["chat_both"])


# == 03: the multi-user server ========================================================
class _Spy(dict):
    """A registry that notes, at every change, whether the lock was held."""

    def __init__(self, lock) -> None:
        super().__init__()
        self.lock = lock
        self.unlocked_changes: List[str] = []

    def _note(self, what: str) -> None:
        locked = getattr(self.lock, "locked", None)
        held = locked() if locked else getattr(self.lock, "_is_owned", lambda: True)()
        if not held:
            self.unlocked_changes.append(what)

    def __setitem__(self, key, value):
        self._note(f"users[{key!r}] = …")
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._note(f"del users[{key!r}]")
        super().__delitem__(key)

    def pop(self, key, *default):
        self._note(f"users.pop({key!r})")
        return super().pop(key, *default)

    def setdefault(self, key, default=None):
        self._note(f"users.setdefault({key!r})")
        return super().setdefault(key, default)

    def update(self, *args, **kwargs):
        self._note("users.update(…)")
        super().update(*args, **kwargs)


class _Conn:
    """A stand-in for a connection in the registry check."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<connection of {self.name}>"


def _holds(value, conn) -> bool:
    """The registry keeps the connection itself, or an object wrapping it (an outbox)."""
    return value is conn or getattr(value, "conn", None) is conn


@step("03-registry", "registry", needs=["add_user", "remove_user", "users", "users_lock"])
def run_registry(ctx: Context) -> None:
    # Swap the registry where the student's functions look it up: under whatever global
    # name their module holds it.
    namespace, original = ctx.code["add_user"].__globals__, ctx.code["users"]
    names = [name for name, value in list(namespace.items()) if value is original] or ["users"]
    lock = ctx.code["users_lock"]

    def with_spy(body):
        def run(scene):
            spy = _Spy(lock)
            for name in names:
                namespace[name] = spy
            try:
                body(spy)
            finally:
                for name in names:
                    namespace[name] = original
                original.clear()
        return run

    def adds(spy):
        alice, other = _Conn("alice"), _Conn("another alice")
        expect(ctx.student("add_user", "alice", alice) is True, msg("nb.fail.registry_add"),
               msg("nb.hint.registry_add"), expected="True", actual="False")
        expect(_holds(spy.get("alice"), alice), msg("nb.fail.registry_not_stored"), msg("nb.hint.registry_add"),
               expected="{'alice': <connection of alice>}", actual=repr(dict(spy)))
        expect(ctx.student("add_user", "alice", other) is False, msg("nb.fail.registry_taken"),
               msg("nb.hint.registry_add"), expected="False")
        expect(_holds(spy.get("alice"), alice), msg("nb.fail.registry_replaced"), msg("nb.hint.registry_add"))
        expect(ctx.student("add_user", "bob", _Conn("bob")) is True, msg("nb.fail.registry_add"),
               msg("nb.hint.registry_add"))

    def removes(spy):
        ctx.student("add_user", "alice", _Conn("alice"))
        ctx.student("add_user", "bob", _Conn("bob"))
        ctx.student("remove_user", "alice")
        expect("alice" not in spy and "bob" in spy, msg("nb.fail.registry_remove"), msg("nb.hint.registry_remove"),
               expected="['bob']", actual=repr(sorted(spy)))
        ctx.student("remove_user", "nobody")  # must not raise

    def locks(spy):
        ctx.student("add_user", "alice", _Conn("alice"))
        ctx.student("add_user", "alice", _Conn("alice again"))
        ctx.student("remove_user", "alice")
        expect(not spy.unlocked_changes, msg("nb.fail.registry_unlocked", change=", ".join(spy.unlocked_changes[:3])),
               msg("nb.hint.registry_lock"))
        expect(lock.acquire(timeout=0.5), msg("nb.fail.lock_kept"), msg("nb.hint.lock_kept"))
        lock.release()

    if not hasattr(lock, "acquire"):
        item = Item("registry_add", msg("nb.check.registry_add"), "failed", msg("nb.fail.not_a_lock"),
                    msg("nb.hint.registry_lock"))
        ctx.checklist.items.append(item)
        return
    scenario(ctx, "registry_add", msg("nb.check.registry_add"), with_spy(adds))
    scenario(ctx, "registry_remove", msg("nb.check.registry_remove"), with_spy(removes), depends=["registry_add"])
    scenario(ctx, "registry_lock", msg("nb.check.registry_lock"), with_spy(locks), depends=["registry_add"])


# The grader's checks, in the order and with the dependencies autograde uses (its registry).
def _grader_checks() -> List[Tuple[str, Callable, Tuple[str, ...]]]:
    return [(c.id, c.function, c.depends) for c in registry.for_variant("tcp-multi") if not c.is_client_check]


class _NotebookProbe:
    """``probe`` as the grader's checks see it in a kernel: what the checks before showed."""

    def __init__(self, ctx) -> None:
        import concurrent.futures

        self.relay = concurrent.futures.Future()
        self.relay.set_result(Relay(delivered=ctx.statuses.get("broadcast") == "passed",
                                    names_carried=ctx.statuses.get("names") == "passed", names=ctx.profile.names))


CHAT_CHECKS = ["handshake", "broadcast", "names", "join_notice", "leave_notice", "drop_survival", "idle_after_leave"]
SERVER_CHECKS = CHAT_CHECKS + ["many_clients", "unicode", "threads"]


def run_grader_check(ctx: Context, check_id: str, function: Callable, depends, make_server: Callable[[], TcpServer],
                     seconds: float = SCENARIO_SECONDS) -> Item:
    """One of ``autograde``'s checks against a fresh in-kernel server, as the grader would run it."""

    def body(scene):
        server = make_server()
        scene["server"] = server
        room = Room(server.address, ctx.profile)
        scene["room"] = room
        scene.setdefault("rooms", []).append(room)
        child = InProcessChild(server)
        child.room = room
        adapter = InProcessServer(child, server.address, "tcp", 0.0)
        available = {"room": room, "server": adapter, "grading": ctx.grading, "probe": _NotebookProbe(ctx)}
        wanted = inspect.signature(function).parameters
        function(**{name: available[name] for name in wanted})

    def cleanup(scene):
        room = scene.get("room")
        if room is not None:
            room.close()
        server = scene.get("server")
        if server is not None:
            server.stop()
            if server.serve is not None:
                ctx.serve_returned.append(bool(server.returned_on_stop))
        ctx.reset_registry()

    return scenario(ctx, check_id, msg(f"check.{check_id}"), body, depends=depends, seconds=seconds, cleanup=cleanup)


def _grader_suite(ctx: Context, ids: List[str], make_server: Callable[[], TcpServer]) -> None:
    ctx.grading = InProcessGrading(server_file=source_file(ctx.code.get("__source__", "")), profile=ctx.profile)
    checks = {check_id: (function, depends) for check_id, function, depends in _grader_checks()}
    for check_id in ids:
        function, depends = checks[check_id]
        run_grader_check(ctx, check_id, function, depends, make_server,
                         seconds=60.0 if check_id == "many_clients" else SCENARIO_SECONDS)


def _registry_forgets(ctx: Context, make_server: Callable[[], TcpServer], depends) -> None:
    registry, _ = ctx.registry()
    if registry is None:
        return

    def body(scene):
        server = make_server()
        _closer(scene, server.stop)
        room = _scene_room(scene, server.address)
        room.profile = ctx.profile
        alice, bob = room.join("alice", "bob")
        room.settle()
        expect(wait_for(lambda: {"alice", "bob"} <= set(registry), SHOW_WAIT), msg("nb.fail.registry_missing"),
               msg("nb.hint.registry_join"), expected="['alice', 'bob']", actual=repr(sorted(registry)))
        alice.close()
        bob.vanish()
        gone = wait_for(lambda: not ({"alice", "bob"} & set(registry)), THREAD_END_WAIT)
        expect(gone, msg("nb.fail.registry_stale", names=", ".join(sorted(set(registry) & {"alice", "bob"}))),
               msg("nb.hint.registry_cleanup"), expected="[]", actual=repr(sorted(registry)))

    scenario(ctx, "registry_cleanup", msg("nb.check.registry_cleanup"), body, depends=depends,
             cleanup=lambda scene: ctx.reset_registry())


@step("03-chat", "chat_server", needs=["handle_client"], optional=["users", "users_lock"])
def run_chat_server(ctx: Context) -> None:
    handler = ctx.code["handle_client"]
    ctx.statuses["starts"] = "passed"  # the check's own accept loop is listening

    def make_server() -> TcpServer:
        ctx.reset_registry()
        return TcpServer(ctx.watch, handler=handler, handler_name="handle_client").start()

    _grader_suite(ctx, CHAT_CHECKS, make_server)
    _registry_forgets(ctx, make_server, depends=["handshake"])


@step("03-server", "server", needs=["serve"], optional=["users", "users_lock"])
def run_server(ctx: Context) -> None:
    serve = ctx.code["serve"]

    def make_server() -> TcpServer:
        ctx.reset_registry()
        return TcpServer(ctx.watch, serve=serve).start()

    def starts(scene):
        server = make_server()
        scene["server"] = server
        room = _scene_room(scene, server.address)
        # Wait a moment: a serve() that crashes or returns does so at once.
        threading.Event().wait(0.3)
        if not server.alive():
            errors = ctx.watch.errors
            if errors:
                raise CheckFailed(msg("nb.fail.serve_crashed", error=f"{errors[-1].type}: {errors[-1].message}"),
                                  hint=msg("nb.hint.traceback"))
            raise CheckFailed(msg("nb.fail.serve_returned"), hint=msg("nb.hint.serve_loop"))
        probe = socket.create_connection(server.address, timeout=5)
        _closer(scene, lambda: shut(probe))
        room.transcript.add("probe", "note", msg("note.connected"))

    def stop_starts(scene):
        server = scene.get("server")
        if server is not None:
            server.stop()
            ctx.serve_returned.append(bool(server.returned_on_stop))
        ctx.reset_registry()

    scenario(ctx, "starts", msg("nb.check.serve_runs"), starts, cleanup=stop_starts)
    _grader_suite(ctx, SERVER_CHECKS, make_server)
    _registry_forgets(ctx, make_server, depends=["handshake"])

    def stops(scene):
        expect(all(ctx.serve_returned), msg("nb.fail.serve_no_stop", seconds=int(2)), msg("nb.hint.serve_stop"))

    scenario(ctx, "serve_stops", msg("nb.check.serve_stops"), stops, depends=["starts"])


SLOW_LINES = 600  # the plain design blocks after ~200 lines here; an outbox of 1000 lines never fills
SLOW_TEXT = "x" * 180


# The optional outbox of notebook 3 has names of its own, so that trying it never changes the required
# functions; this step runs ``serve`` with them in place of the plain ones, and puts the plain ones back.
QUEUED = {"add_user": "add_user_queued", "remove_user": "remove_user_queued", "broadcast": "broadcast_queued"}


@step("03-slow-reader", "slow_reader", needs=["serve"], optional=["users", "users_lock", *QUEUED.values()])
def run_slow_reader(ctx: Context) -> None:
    swap = {plain: ctx.code[queued] for plain, queued in QUEUED.items() if queued in ctx.code}
    saved = {plain: ctx.namespace[plain] for plain in swap if plain in ctx.namespace}
    ctx.namespace.update(swap)
    try:
        _slow_reader(ctx)
    finally:
        for plain in swap:
            if plain in saved:
                ctx.namespace[plain] = saved[plain]
            else:
                ctx.namespace.pop(plain, None)


def _slow_reader(ctx: Context) -> None:
    serve = ctx.code["serve"]

    def body(scene):
        ctx.reset_registry()
        server = TcpServer(ctx.watch, serve=serve)
        server.listener.send_buffer = 16384  # so that a user who does not read fills up soon
        server.start()
        _closer(scene, server.stop)
        _closer(scene, ctx.reset_registry)
        room = _scene_room(scene, server.address)
        room.profile = ctx.profile
        alice, bob = room.join("alice", "bob")
        carol = _stalled_user(room, server.address)
        _closer(scene, lambda: shut(carol))
        room.settle()
        bodies = [f"slow-{i}-{SLOW_TEXT}" for i in range(SLOW_LINES)]
        payload = "".join(b + "\n" for b in bodies).encode("utf-8")
        room.transcript.add("alice", "send", msg("note.lines_bytes", lines=SLOW_LINES, count=len(payload)))
        threading.Thread(target=_send_quietly, args=(alice.sock, payload), name="chatlab-alice-sends",
                         daemon=True).start()
        last = bodies[-1]
        room.wait_until(lambda: bob.find(last) is not None, 10.0)
        got = bob.count("slow-")
        expect(bob.find(last) is not None, msg("nb.fail.slow_reader", got=got, total=SLOW_LINES),
               msg("nb.hint.slow_reader"))

    scenario(ctx, "slow_reader", msg("nb.check.slow_reader"), body, seconds=30.0)


def _stalled_user(room: Room, address) -> socket.socket:
    """carol: joins, then never reads again (a tiny receive buffer, so it fills up at once)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect(address)
    room.transcript.add("carol", "note", msg("note.connected_stops_reading"))
    try:
        sock.settimeout(1.0)
        sock.recv(1024)  # the prompt, if the server sends one first
    except socket.timeout:
        pass
    sock.settimeout(None)
    sock.sendall(b"carol\n")
    room.transcript.add("carol", "send", "carol⏎")
    return sock


# == 04: the client ==============================================================
@step("04-incoming", "incoming", needs=["format_incoming"])
def run_incoming(ctx: Context) -> None:
    def body(scene):
        for text, prompt in (("bob: hi", "> "), ("Борис: привет", "alice> ")):
            got = ctx.student("format_incoming", text, prompt)
            expect(_incoming_ok(got, text, prompt), msg("nb.fail.incoming", text=text, prompt=prompt),
                   msg("nb.hint.incoming"), expected=repr(f"\n{text}\n{prompt}"), actual=repr(got))

    scenario(ctx, "incoming", msg("nb.check.incoming"), body)


def _incoming_ok(got, text: str, prompt: str) -> bool:
    """What the step names: a line break, the message as its own line, a line break, the prompt, nothing else.

    A carriage return (or ANSI "clear line") may start it instead, so the half-typed line is overwritten.
    """
    if not isinstance(got, str) or not got.endswith("\n" + prompt):
        return False
    head = got[:-len("\n" + prompt)]
    for start in ("\n", "\r\n", "\r", "\r\x1b[K", "\r\x1b[2K", "\x1b[2K\r"):
        if head == start + text:
            return True
    return False


@step("04-client", "client", needs=["run_client"])
def run_client_step(ctx: Context) -> None:
    def start(scene, nick="alice"):
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(5)
        _closer(scene, listener.close)
        mine = socket.create_connection(listener.getsockname()[:2], timeout=5)
        mine.settimeout(None)
        conn, _ = listener.accept()
        conn.settimeout(None)
        room = _scene_room(scene, listener.getsockname()[:2])
        server = Peer("server", room).adopt(conn)
        typing, screen = Typing(room, "keyboard"), Screen(room)
        running = ctx.spawn("run_client", mine, nick, typing, screen)
        _closer(scene, lambda: shut(mine))
        _closer(scene, typing.end)
        return room, server, typing, screen, running

    def joined(scene, nick="alice"):
        room, server, typing, screen, running = start(scene, nick)
        server.say("NICK")
        answered = server.wait_for_text(nick + "\n", SHOW_WAIT)
        running.raise_if_failed()
        expect(answered, msg("nb.fail.client_no_nick", nick=nick), msg("nb.hint.client_nick"),
               expected=f"{nick}\n", actual=server.text)
        server.say(f"* welcome, {nick}! online: {nick}")
        return room, server, typing, screen, running

    def nick(scene):
        joined(scene)

    def receives(scene):
        room, server, typing, screen, running = joined(scene)
        wait_for(lambda: typing.waiting.is_set(), RETURN_WAIT)
        server.say("bob: hi there")
        room.wait_until(lambda: screen.shows("bob: hi there"), SHOW_WAIT)
        running.raise_if_failed()
        expect(screen.shows("bob: hi there"), msg("nb.fail.not_shown_while_typing"), msg("nb.hint.client_thread"),
               expected="bob: hi there", actual=screen.text)

    def sends(scene):
        room, server, typing, screen, running = joined(scene)
        expect(wait_for(lambda: typing.waiting.is_set(), RETURN_WAIT), msg("nb.fail.never_asks", function="run_client"),
               msg("nb.hint.client_loop"))
        typing.type("hello everyone")
        expect(server.wait_for_text("hello everyone\n", SHOW_WAIT), msg("nb.fail.not_sent", text="hello everyone"),
               msg("nb.hint.send_line"), expected="hello everyone\n", actual=server.text)

    def quits(scene):
        room, server, typing, screen, running = joined(scene)
        wait_for(lambda: typing.waiting.is_set(), RETURN_WAIT)
        typing.type("/quit")
        expect(running.returned(RETURN_WAIT), msg("nb.fail.no_return_quit", function="run_client",
                                                  seconds=RETURN_WAIT), msg("nb.hint.client_quit"))
        running.raise_if_failed()
        closed = room.wait_until(lambda: server.closed_by_server, THREAD_END_WAIT)
        expect(closed or "/quit" in server.text, msg("nb.fail.not_closed"), msg("nb.hint.client_quit"))
        left = running.own_threads()
        expect(wait_for(lambda: not any(t.is_alive() for t in left), THREAD_END_WAIT),
               msg("nb.fail.thread_left", function="run_client", seconds=THREAD_END_WAIT), msg("nb.hint.chat_join"))

    def server_gone(scene):
        room, server, typing, screen, running = joined(scene)
        wait_for(lambda: typing.waiting.is_set(), RETURN_WAIT)
        server.close()
        left = running.own_threads()
        expect(wait_for(lambda: not any(t.is_alive() for t in left), THREAD_END_WAIT),
               msg("nb.fail.receiver_stays", seconds=THREAD_END_WAIT), msg("nb.hint.receive_end"))
        typing.type("/quit")
        expect(running.returned(RETURN_WAIT), msg("nb.fail.no_return_quit", function="run_client",
                                                  seconds=RETURN_WAIT), msg("nb.hint.client_quit"))
        running.raise_if_failed()

    scenario(ctx, "client_nick", msg("nb.check.client_nick"), nick)
    scenario(ctx, "client_receives", msg("nb.check.client_receives"), receives, depends=["client_nick"])
    scenario(ctx, "client_sends", msg("nb.check.client_sends"), sends, depends=["client_nick"])
    scenario(ctx, "client_quit", msg("nb.check.client_quit"), quits, depends=["client_sends"])
    scenario(ctx, "client_server_gone", msg("nb.check.client_server_gone"), server_gone, depends=["client_nick"])


# == 05: UDP =====================================================================
@step("05-udp-server", "udp_server", needs=["serve_udp"], optional=["members", "members_lock"])
def run_udp_server(ctx: Context) -> None:
    serve = ctx.code["serve_udp"]
    returned: List[bool] = []

    def start(scene, *names):
        ctx.reset_registry()
        server = UdpServer(ctx.watch, serve).start()
        scene["server"] = server
        room = _scene_room(scene, server.address)
        users = []
        for name in names:
            user = UdpUser(name, room).connect()
            user.say(f"/join {name}")
            room.wait_until(lambda: user.stream.byte_count > 0, SHOW_WAIT)
            users.append(user)
        room.settle(at_most=0.5)
        return room, users

    def stop(scene):
        server = scene.get("server")
        if server is not None:
            server.stop()
            returned.append(bool(server.returned_on_stop))
        ctx.reset_registry()

    def joins(scene):
        server_room, _ = start(scene)
        alice = UdpUser("alice", server_room).connect()
        alice.say("/join alice")
        expect(alice.wait_for_text("alice", SHOW_WAIT), msg("nb.fail.udp_no_welcome"), msg("nb.hint.udp_join"),
               expected="* welcome, alice! online: alice", actual=alice.text)

    def notice(scene):
        room, (alice,) = start(scene, "alice")
        bob = UdpUser("bob", room).connect()
        bob.say("/join bob")
        expect(alice.wait_for_mention("bob", SHOW_WAIT), msg("nb.fail.udp_no_join_notice"), msg("nb.hint.udp_join"),
               expected="* bob joined the chat", actual=alice.new_text)

    def relays(scene):
        room, (alice, bob, carol) = start(scene, "alice", "bob", "carol")
        body = room.token("alice")
        alice.say(body)
        room.wait_until(lambda: bob.find(body) and carol.find(body), SHOW_WAIT)
        for user in (bob, carol):
            found = user.find(body, "alice")
            expect(found is not None, msg("nb.fail.udp_not_relayed", who=user.name), msg("nb.hint.udp_relay"),
                   expected=f"alice: {body}", actual=user.new_text)
            expect(found.named, msg("nb.fail.udp_unnamed", who=user.name), msg("nb.hint.udp_relay"),
                   expected=f"alice: {body}", actual=user.new_text)
        alice.wait_quiet(0.3, at_most=0.6)
        expect(alice.find(body) is None, msg("nb.fail.udp_echo"), msg("nb.hint.udp_relay"), actual=alice.new_text)

    def stranger(scene):
        room, (alice,) = start(scene, "alice")
        eve = UdpUser("eve", room).connect()
        eve.say("hello?")
        expect(eve.wait_for_text("/join", SHOW_WAIT), msg("nb.fail.udp_stranger"), msg("nb.hint.udp_stranger"),
               expected="* send /join NAME first", actual=eve.text)
        alice.wait_quiet(0.3, at_most=0.6)
        expect("hello?" not in alice.new_text, msg("nb.fail.udp_stranger_relayed"), msg("nb.hint.udp_stranger"),
               actual=alice.new_text)

    def leaves(scene):
        room, (alice, bob) = start(scene, "alice", "bob")
        bob.say("/leave")
        expect(alice.wait_for_mention("bob", SHOW_WAIT), msg("nb.fail.udp_no_leave_notice"), msg("nb.hint.udp_leave"),
               expected="* bob left the chat", actual=alice.new_text)
        room.settle(at_most=0.5)
        body = room.token("after")
        alice.say(body)
        bob.wait_quiet(0.4, at_most=0.8)
        expect(bob.find(body) is None, msg("nb.fail.udp_still_member"), msg("nb.hint.udp_leave"), actual=bob.new_text)

    def cyrillic(scene):
        room, (alisa, boris) = start(scene, "Алиса", "Борис")
        body = room.token("Привет, мир! Ёжик")
        alisa.say(body)
        expect(boris.wait_for_text(body, SHOW_WAIT), msg("fail.unicode.missing"), msg("hint.unicode"),
               expected=f"Алиса: {body}", actual=boris.new_text)

    def stops(scene):
        expect(all(returned), msg("nb.fail.serve_no_stop", seconds=2), msg("nb.hint.udp_stop"))

    scenario(ctx, "udp_join", msg("nb.check.udp_join"), joins, cleanup=stop)
    scenario(ctx, "udp_join_notice", msg("nb.check.udp_join_notice"), notice, depends=["udp_join"], cleanup=stop)
    scenario(ctx, "udp_relay", msg("nb.check.udp_relay"), relays, depends=["udp_join"], cleanup=stop)
    scenario(ctx, "udp_stranger", msg("nb.check.udp_stranger"), stranger, depends=["udp_join"], cleanup=stop)
    scenario(ctx, "udp_leave", msg("nb.check.udp_leave"), leaves, depends=["udp_relay"], cleanup=stop)
    scenario(ctx, "unicode", msg("check.unicode"), cyrillic, depends=["udp_relay"], cleanup=stop)
    scenario(ctx, "serve_stops", msg("nb.check.udp_stops"), stops, depends=["udp_join"])


@step("05-udp-client", "udp_client", needs=["receive_datagrams"])
def run_udp_client(ctx: Context) -> None:
    def body(scene):
        mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        mine.bind(("127.0.0.1", 0))
        server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", 0))
        _closer(scene, mine.close)
        _closer(scene, server.close)
        room = _scene_room(scene, server.getsockname())
        screen, stop = Screen(room), threading.Event()
        _closer(scene, stop.set)
        running = ctx.spawn("receive_datagrams", mine, screen, stop)
        sent = ["* welcome, alice! online: alice, bob", "bob: hi", "Борис: привет"]
        for text in sent:
            room.transcript.add("server", "send", text)
            server.sendto(text.encode("utf-8"), mine.getsockname())
        room.wait_until(lambda: all(screen.shows(t) for t in sent), SHOW_WAIT)
        running.raise_if_failed()
        missing = [t for t in sent if not screen.shows(t)]
        expect(not missing, msg("nb.fail.not_shown", text=", ".join(missing)), msg("nb.hint.udp_receive"),
               expected="\n".join(sent), actual=screen.text)
        scene["running"], scene["stop"] = running, stop

    def stops(scene):
        body(scene)
        room = scene["room"]
        room.transcript.add("check", "note", msg("note.stop_set"))
        scene["stop"].set()
        expect(scene["running"].returned(RETURN_WAIT), msg("nb.fail.udp_client_stop", seconds=RETURN_WAIT),
               msg("nb.hint.udp_client_stop"))
        scene["running"].raise_if_failed()

    scenario(ctx, "udp_client_receives", msg("nb.check.udp_client_receives"), body)
    scenario(ctx, "udp_client_stops", msg("nb.check.udp_client_stops"), stops, depends=["udp_client_receives"])


# == 03: the listening socket ====================================================
@step("03-listener", "listener", needs=["open_listener"])
def run_listener(ctx: Context) -> None:
    def body(scene):
        listener = ctx.student("open_listener", "127.0.0.1", 0)
        expect(isinstance(listener, socket.socket), msg("nb.fail.listener_not_socket", got=type(listener).__name__),
               msg("nb.hint.listener"))
        _closer(scene, listener.close)
        expect(listener.type == socket.SOCK_STREAM, msg("nb.fail.listener_not_tcp"), msg("nb.hint.listener"))
        try:
            host, port = listener.getsockname()[:2]
            listener.settimeout(5)
            probe = socket.create_connection((host, port), timeout=5)
            _closer(scene, probe.close)
            accepted, _ = listener.accept()
            accepted.close()
        except OSError as error:
            raise CheckFailed(msg("nb.fail.listener_no_accept", error=f"{type(error).__name__}: {error}"),
                              hint=msg("nb.hint.listener"))
        if hasattr(socket, "SO_REUSEADDR") and sys.platform != "win32":
            reuse = listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
            expect(bool(reuse), msg("nb.fail.listener_no_reuse"), msg("nb.hint.listener_reuse"))

    scenario(ctx, "listener", msg("nb.check.listener"), body)


# == 05: the three branches of the UDP server, one step each ===============================
def _udp_members(ctx: Context, scene: dict, names) -> Tuple[socket.socket, Dict[str, socket.socket]]:
    """The server's socket and one bound socket per name, all closed after the scenario."""
    ctx.reset_registry()
    _closer(scene, ctx.reset_registry)
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    _closer(scene, server.close)
    users = {}
    for name in names:
        user = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        user.bind(("127.0.0.1", 0))
        user.settimeout(SHOW_WAIT)
        _closer(scene, user.close)
        users[name] = user
    return server, users


def _datagram(user: socket.socket, seconds: float = SHOW_WAIT) -> Optional[str]:
    user.settimeout(seconds)
    try:
        return user.recvfrom(65535)[0].decode("utf-8", errors="replace")
    except OSError:
        return None


def _registered(ctx: Context) -> Dict[object, str]:
    registry, lock = ctx.registry()
    if registry is None:
        return {}
    acquire = getattr(lock, "acquire", None)
    got = acquire(timeout=1.0) if acquire else False
    try:
        return dict(registry)
    finally:
        if got:
            lock.release()


def _put_members(ctx: Context, users: Dict[str, socket.socket]) -> None:
    registry, lock = ctx.registry()
    expect(registry is not None, msg("nb.fail.missing_name", name="members"), msg("nb.hint.missing_name"))
    with lock:
        for name, user in users.items():
            registry[user.getsockname()] = name


@step("05-udp-join", "udp_join", needs=["join_member"], optional=["members", "members_lock"])
def run_udp_join(ctx: Context) -> None:
    def body(scene):
        server, users = _udp_members(ctx, scene, ("alice", "bob"))
        alice, bob = users["alice"], users["bob"]
        ctx.student("join_member", server, alice.getsockname(), "alice", None)
        welcome = _datagram(alice)
        expect(welcome is not None and welcome.startswith("* welcome, alice!"), msg("nb.fail.udp_no_welcome"),
               msg("nb.hint.udp_join_member"), expected="* welcome, alice! online: alice", actual=repr(welcome))
        ctx.student("join_member", server, bob.getsockname(), "bob", None)
        welcome = _datagram(bob)
        expect(welcome is not None and "alice" in welcome and "bob" in welcome, msg("nb.fail.udp_no_welcome"),
               msg("nb.hint.udp_join_member"), expected="* welcome, bob! online: alice, bob", actual=repr(welcome))
        notice = _datagram(alice)
        expect(notice == "* bob joined the chat", msg("nb.fail.udp_no_join_notice"), msg("nb.hint.udp_join_member"),
               expected="* bob joined the chat", actual=repr(notice))
        registered = _registered(ctx)
        expect(registered.get(alice.getsockname()) == "alice" and registered.get(bob.getsockname()) == "bob",
               msg("nb.fail.udp_not_registered"), msg("nb.hint.udp_join_member"), actual=repr(registered))

    scenario(ctx, "udp_join_member", msg("nb.check.udp_join_member"), body)


@step("05-udp-leave", "udp_leave", needs=["leave_member"], optional=["members", "members_lock"])
def run_udp_leave(ctx: Context) -> None:
    def body(scene):
        server, users = _udp_members(ctx, scene, ("alice", "bob"))
        _put_members(ctx, users)
        ctx.student("leave_member", server, users["bob"].getsockname(), "bob")
        notice = _datagram(users["alice"])
        expect(notice == "* bob left the chat", msg("nb.fail.udp_no_leave_notice"), msg("nb.hint.udp_leave"),
               expected="* bob left the chat", actual=repr(notice))
        expect(users["bob"].getsockname() not in _registered(ctx), msg("nb.fail.udp_still_registered"),
               msg("nb.hint.udp_leave"))

    scenario(ctx, "udp_leave_member", msg("nb.check.udp_leave_member"), body)


@step("05-udp-relay", "udp_relay", needs=["relay_message"], optional=["members", "members_lock"])
def run_udp_relay(ctx: Context) -> None:
    def body(scene):
        server, users = _udp_members(ctx, scene, ("alice", "bob", "Борис"))
        _put_members(ctx, users)
        for sender, text in (("alice", "hi"), ("Борис", "привет")):
            ctx.student("relay_message", server, users[sender].getsockname(), sender, text)
            for name, user in users.items():
                if name == sender:
                    continue
                got = _datagram(user)
                expect(got == f"{sender}: {text}", msg("nb.fail.udp_not_relayed", who=name),
                       msg("nb.hint.udp_relay"), expected=f"{sender}: {text}", actual=repr(got))
            echoed = _datagram(users[sender], 0.3)
            expect(echoed is None, msg("nb.fail.udp_echoed"), msg("nb.hint.udp_relay"), actual=repr(echoed))

    scenario(ctx, "udp_relay_message", msg("nb.check.udp_relay_message"), body)


# == 05: the UDP client's main thread ==================================================
@step("05-udp-main", "udp_main", needs=["run_udp_client"])
def run_udp_main(ctx: Context) -> None:
    def run(scene, typed, ending):
        server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", 0))
        server.settimeout(SHOW_WAIT)
        mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _closer(scene, server.close)
        _closer(scene, mine.close)
        room = _scene_room(scene, server.getsockname())
        lines = list(typed)
        started = threading.Event()
        receiver = threading.Thread(target=started.set, name="chatlab-receiver", daemon=True)

        def next_line():
            threading.Event().wait(0.05)
            if lines:
                room.transcript.add("alice", "note", msg("nb.note.typed", text=lines[0]))
                return lines.pop(0)
            raise EOFError

        running = ctx.spawn("run_udp_client", mine, server.getsockname(), "alice", next_line, receiver)
        got = []
        wanted = ["/join alice"] + [t for t in typed if t.strip() and t != "/quit"] + ["/leave"]
        while len(got) < len(wanted):
            try:
                data, _ = server.recvfrom(65535)
            except OSError:
                break
            got.append(data.decode("utf-8", errors="replace"))
            room.transcript.add("server", "recv", got[-1])
        running.raise_if_failed()
        expect(got == wanted, msg("nb.fail.udp_join_sent", ending=ending), msg("nb.hint.udp_join"),
               expected="\n".join(wanted), actual="\n".join(got))
        expect(started.is_set(), msg("nb.fail.udp_join_receiver"), msg("nb.hint.udp_join"))
        expect(running.returned(RETURN_WAIT), msg("nb.fail.timeout", function="run_udp_client", seconds=RETURN_WAIT),
               msg("nb.hint.udp_join"))

    scenario(ctx, "udp_join_quit", msg("nb.check.udp_join_quit"),
             lambda scene: run(scene, ["hi", "Привет", "/quit"], "/quit"))
    scenario(ctx, "udp_join_eof", msg("nb.check.udp_join_eof"),
             lambda scene: run(scene, ["hi"], "EOF"), depends=["udp_join_quit"])


# -- running a step ------------------------------------------------------------------
def run_step(step_id: str, lang: str, namespace: Dict[str, object], given: Dict[str, object]) -> Checklist:
    found = STEPS[step_id]
    checklist = Checklist(step_id, found.title, lang)
    code, missing = student_code.lookup(found.needs, namespace, given)
    if missing:
        checklist.items.append(Item("defined", msg("nb.check.defined"), "failed",
                                    msg("nb.fail.missing_name", name=missing[0]), msg("nb.hint.missing_name")))
        return checklist
    extra, _ = student_code.lookup(found.optional, namespace, given)
    code.update(extra)
    functions = [value for value in code.values() if callable(value) and not hasattr(value, "acquire")]
    todo = student_code.first_todo(functions, namespace)
    if todo is not None:
        checklist.items.append(Item("todo", msg("nb.check.no_todo"), "failed",
                                    msg("nb.fail.todo", function=todo[0], todo=_todo_text(todo[1])),
                                    msg("nb.hint.todo")))
        return checklist
    for name in found.needs:
        value = code[name]
        if name.endswith(("users", "members")) or name.endswith("_lock"):
            continue
        if not callable(value):
            checklist.items.append(Item("defined", msg("nb.check.defined"), "failed",
                                        msg("nb.fail.not_callable", name=name), msg("nb.hint.missing_name")))
            return checklist
    code["__source__"] = student_code.source_of(functions, namespace)
    if busy_cpu() > 0.6:
        checklist.notes.append(msg("nb.note.busy"))
    with Watch() as watch:
        ctx = Context(lang, code, namespace, watch, checklist)
        try:
            found.run(ctx)
        except Exception as error:  # our mistake: say so, do not blame the student
            checklist.items.append(Item("internal", msg("nb.check.internal"), "error",
                                        msg("error.internal", detail=f"{type(error).__name__}: {error}"[-300:])))
        finally:
            if ctx.grading is not None:
                ctx.grading.server_file.unlink(missing_ok=True)
    return checklist
