"""The harness that runs inside the sandboxed child, around the student's file.

Started as ``python -I -X utf8 -u child.py CONFIG_JSON``.  It must stay a
single standard-library file: it is the only grader code the student's
process sees, and it must not import the grader package.

What it does before handing over to the student's program:

* applies resource limits (POSIX) to itself, hard and soft, so the student
  cannot raise them again;
* replaces ``socket.socket`` with a subclass whose ``bind`` goes to 127.0.0.1
  and the port the grader chose, and whose ``connect``/``sendto`` (client
  role) go to the grader's fake server, whatever the student hard-coded;
* answers ``input()`` questions a server asks before it binds (a port, a
  host) so that start-up does not wait for a person;
* reports what it saw (binds, listens, connects, exceptions in threads, the
  exit) as JSON lines on a pipe the grader reads.

Then it runs the student's file as ``__main__`` in the main thread, so
``signal``, ``sys.exit`` and ``KeyboardInterrupt`` behave as they do at home.
"""
import builtins
import json
import os
import runpy
import socket
import sys
import threading
import traceback
import weakref

_CONFIG = json.loads(sys.argv[1])
_ROLE = _CONFIG["role"]  # "server" or "client"
_lock = threading.Lock()
_channel = None


def _open_channel():
    handle = _CONFIG.get("report_handle")
    if handle is None:
        return None
    if os.name == "nt":
        import msvcrt

        fd = msvcrt.open_osfhandle(handle, os.O_WRONLY)
    else:
        fd = handle
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def report(event, **fields):
    fields["ev"] = event
    line = json.dumps(fields, ensure_ascii=False, default=str)
    with _lock:
        try:
            _channel.write(line + "\n")
            _channel.flush()
        except Exception:
            pass  # the grader went away or the student closed our pipe


def _apply_limits():
    limits = _CONFIG.get("limits") or {}
    try:
        import resource
    except ImportError:  # Windows
        return []
    applied = []
    names = {
        "memory": "RLIMIT_AS",
        "cpu": "RLIMIT_CPU",
        "file_size": "RLIMIT_FSIZE",
        "open_files": "RLIMIT_NOFILE",
        "core": "RLIMIT_CORE",
        "processes": "RLIMIT_NPROC",  # only sent when the child has a uid of its own
    }
    for key, value in limits.items():
        name = names.get(key)
        if name is None or not hasattr(resource, name) or value is None:
            continue
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
            applied.append(key)
        except (ValueError, OSError):
            pass  # e.g. macOS refuses RLIMIT_AS; say so through `applied`
    return applied


# --- sockets -------------------------------------------------------------

_INET = (socket.AF_INET, getattr(socket, "AF_INET6", socket.AF_INET))
_bound_kinds = set()


def _kind(sock):
    return "udp" if sock.type == socket.SOCK_DGRAM else "tcp"


def _loopback(family):
    return "::1" if family == getattr(socket, "AF_INET6", None) else "127.0.0.1"


def _target(family):
    host, port = _CONFIG["connect"]
    if family == getattr(socket, "AF_INET6", None):
        host = "::ffff:" + host
    return (host, port)


# The addresses belong to the grader.  The real ``socket.socket`` keeps its
# identity (name, module, repr, bases, ``type(s) is socket.socket``): only
# these methods are replaced on it, so a program cannot tell a graded run by
# its socket class and behave for the grader alone.
_REAL = {name: getattr(socket.socket, name) for name in ("bind", "listen", "connect", "connect_ex", "sendto")}
_reported_targets = weakref.WeakSet()


def bind(self, address):
    if self.family not in _INET:
        return _REAL["bind"](self, address)
    kind = _kind(self)
    if _ROLE == "server" and kind not in _bound_kinds:
        port = _CONFIG.get("port", 0)
        _bound_kinds.add(kind)
    else:
        port = 0
    try:
        result = _REAL["bind"](self, (_loopback(self.family), port))
    except OSError as error:
        report("bind_error", kind=kind, requested=address, error=str(error))
        raise
    report("bind", kind=kind, requested=address, host=self.getsockname()[0], port=self.getsockname()[1])
    return result


def listen(self, *args):
    result = _REAL["listen"](self, *args)
    report("listen", kind=_kind(self), port=self.getsockname()[1])
    return result


def connect(self, address):
    return _REAL["connect"](self, _redirect(self, address, "connect"))


def connect_ex(self, address):
    return _REAL["connect_ex"](self, _redirect(self, address, "connect"))


def sendto(self, data, *args):
    address = args[-1]
    args = args[:-1] + (_redirect(self, address, "sendto"),)
    return _REAL["sendto"](self, data, *args)


def _redirect(sock, address, how):
    if _ROLE != "client" or sock.family not in _INET or not _CONFIG.get("connect"):
        return address
    if sock not in _reported_targets:
        _reported_targets.add(sock)
        report(how, kind=_kind(sock), requested=address)
    return _target(sock.family)


for _function in (bind, listen, connect, connect_ex, sendto):
    _function.__qualname__ = "socket." + _function.__name__
    _function.__module__ = "socket"
    _function.__doc__ = _REAL[_function.__name__].__doc__
    setattr(socket.socket, _function.__name__, _function)
del bind, listen, connect, connect_ex, sendto, _function


# --- input() at start-up ---------------------------------------------------

_original_input = builtins.input


_PROMPT_WORDS = _CONFIG.get("prompt_words") or {}  # autograder.prompts.WORDS, in that order
# What a person types to get a server started: any port will do (the grader picks
# the real one), and a two-user chat asking the person at the server for a name gets one.
_STARTUP_ANSWERS = {"port": "9090", "host": "127.0.0.1", "name": "server"}


def _startup_answer(prompt):
    text = str(prompt).lower()
    for kind, words in _PROMPT_WORDS.items():
        if any(word in text for word in words):
            return _STARTUP_ANSWERS.get(kind, "")
    return ""


def _graded_input(prompt=""):
    if _ROLE == "server" and not _bound_kinds:
        answer = _startup_answer(prompt)
        sys.stdout.write(str(prompt))
        sys.stdout.write(answer + "\n")
        report("input_answered", prompt=str(prompt)[:200], answer=answer)
        return answer
    report("input", prompt=str(prompt)[:200])
    return _original_input(prompt)


builtins.input = _graded_input


# --- Windows-only clients on any OS ---------------------------------------------

class _KeyboardFromStdin:
    """A stand-in for ``msvcrt``: the keys are the characters on stdin.

    Students on Windows write clients around ``msvcrt.kbhit``/``getwch``.  A
    reader thread, started on first use (so an earlier ``input()`` still gets
    its line), moves stdin's characters into a queue; Enter becomes a carriage return
    as it does on Windows.
    """

    def __init__(self):
        import queue

        self._keys = queue.Queue()
        self._started = False
        self._start_lock = threading.Lock()

    def _ensure_reader(self):
        with self._start_lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._read, name="msvcrt-stand-in", daemon=True).start()

    def _read(self):
        while True:
            char = sys.stdin.read(1)
            if not char:
                return
            self._keys.put("\r" if char == "\n" else char)

    def kbhit(self):
        self._ensure_reader()
        if self._keys.empty():
            import time

            time.sleep(0.01)  # kbhit loops would otherwise spin a core
        return not self._keys.empty()

    def getwch(self):
        self._ensure_reader()
        return self._keys.get()

    def getwche(self):
        char = self.getwch()
        sys.stdout.write(char)
        return char

    def getch(self):
        return self.getwch().encode("utf-8")[:1]

    def getche(self):
        return self.getwche().encode("utf-8")[:1]

    def putch(self, char):
        sys.stdout.write(char.decode("utf-8", "replace") if isinstance(char, bytes) else char)

    putwch = putch

    def ungetwch(self, char):
        self._keys.put(char)

    ungetch = ungetwch

    def setmode(self, *args):
        return 0

    def locking(self, *args):
        return None


class _WindowsFunction:
    """Any function of a Windows DLL: accepts anything, answers 1 ("it worked", IDOK).

    Windows students call ``ctypes.windll.kernel32.SetConsoleTitleW``,
    ``SetConsoleMode`` (for colours) or ``user32.MessageBoxW``: decoration, not chat.
    """

    def __init__(self, name):
        self.__name__ = name
        self.argtypes = None
        self.restype = None
        self.errcheck = None

    def __call__(self, *args, **kwargs):
        return 1


class _Namespace:
    """Every attribute exists, made by ``_member`` on first use (``kernel32``, ``SetConsoleTitleW``)."""

    _member = None

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        member = type(self)._member(name)
        setattr(self, name, member)
        return member


class _WindowsLibrary(_Namespace):
    _member = _WindowsFunction

    def __init__(self, name="dll", *args, **kwargs):
        self._name = name

    __getitem__ = _Namespace.__getattr__


class _WindowsLibraries(_Namespace):
    _member = _WindowsLibrary

    def LoadLibrary(self, name):
        return _WindowsLibrary(name)


def _install_windll_stand_in():
    import ctypes

    for name in ("windll", "oledll"):
        if not hasattr(ctypes, name):
            setattr(ctypes, name, _WindowsLibraries())
    for name in ("WinDLL", "OleDLL"):
        if not hasattr(ctypes, name):
            setattr(ctypes, name, _WindowsLibrary)
    if not hasattr(ctypes, "GetLastError"):
        ctypes.GetLastError = lambda: 0


def _install_winsound_stand_in():
    import types

    module = types.ModuleType("winsound")
    for name in ("Beep", "PlaySound", "MessageBeep"):
        setattr(module, name, lambda *args, **kwargs: None)
    for number, name in enumerate(("SND_FILENAME", "SND_ALIAS", "SND_ASYNC", "SND_NODEFAULT", "SND_LOOP",
                                   "SND_PURGE", "MB_OK", "MB_ICONASTERISK", "MB_ICONEXCLAMATION")):
        setattr(module, name, 1 << number)
    sys.modules["winsound"] = module


def _install_windows_stand_ins(source):
    """Windows-only modules a chat uses for its console, on any OS: the lab
    is about sockets and threads, not about which laptop the student had."""
    if os.name == "nt":
        return
    if "windll" in source or "WinDLL" in source or "OleDLL" in source:
        _install_windll_stand_in()
    if "winsound" in source:
        _install_winsound_stand_in()
    # Only where the client uses it: with ``msvcrt`` importable, ``subprocess`` (and so
    # ``asyncio`` and whatever spawns) believes it runs on Windows and needs ``_winapi``.
    # A server's console is no keyboard the grader types at.
    if _ROLE == "client" and "msvcrt" in source:
        import subprocess  # noqa: F401 - decides it is not on Windows before the stand-in exists

        _install_keyboard_stand_in()


def _install_keyboard_stand_in():
    import types

    module = types.ModuleType("msvcrt")
    keyboard = _KeyboardFromStdin()
    for name in ("kbhit", "getwch", "getwche", "getch", "getche", "putch", "putwch", "ungetwch", "ungetch",
                 "setmode", "locking"):
        setattr(module, name, getattr(keyboard, name))
    sys.modules["msvcrt"] = module
    original_system = os.system

    def system(command):
        # `cls`/`clear` redraw a Windows console; on a pipe they only make noise.
        if str(command).strip().lower() in ("cls", "clear"):
            return 0
        return original_system(command)

    os.system = system


def _source_of(script):
    """The script and the files beside it, as text (only to see which stand-ins it needs)."""
    folder = os.path.dirname(script)
    text = []
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".py")][:50]
    except OSError:
        names = []
    for name in names:
        try:
            with open(os.path.join(folder, name), "rb") as handle:
                text.append(handle.read(200_000).decode("utf-8", "replace"))
        except OSError:
            pass
    return "\n".join(text)


# --- exceptions and exit ----------------------------------------------------

def _describe(exc_type, exc, tb):
    frames = traceback.extract_tb(tb)
    script = os.path.abspath(_CONFIG["script"])
    here = os.path.dirname(script)
    own = [f for f in frames if os.path.abspath(f.filename).startswith(here)]
    where = own[-1] if own else (frames[-1] if frames else None)
    if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(exc.filename).startswith(here):
        # The student's file did not compile: its line, not the frame that was importing it.
        where = traceback.FrameSummary(exc.filename, exc.lineno or 0, "<module>", line=(exc.text or "").strip())
    return {
        "type": exc_type.__name__,
        "message": str(exc)[:300],
        "file": os.path.basename(where.filename) if where else None,
        "line": where.lineno if where else None,
        "code": (where.line or "")[:200] if where else None,
    }


_original_thread_hook = threading.excepthook


def _thread_hook(args):
    if args.exc_type is not SystemExit:
        report("thread_exception", thread=args.thread.name if args.thread else None,
               **_describe(args.exc_type, args.exc_value, args.exc_traceback))
    _original_thread_hook(args)


threading.excepthook = _thread_hook


def _wait_for_go():
    """A server started ahead of its turn waits here, ready, until the grader says go
    (a byte on the gate); its student code never runs beside the one before it.
    No byte (the grader is gone) means no turn."""
    gate = _CONFIG.get("gate_fd")
    if gate is None:
        return
    try:
        go = os.read(gate, 1)
    except OSError:
        go = b""
    finally:
        try:
            os.close(gate)
        except OSError:
            pass
    if not go:
        os._exit(0)


def main():
    global _channel
    _channel = _open_channel()
    _wait_for_go()
    applied = _apply_limits()
    try:  # if memory runs out, the kernel should pick the student's process, not the grader
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    # Many checks run at once, each with its own copy of this program: one that spins must not
    # starve the grader's users (or another check's server) of the CPU they wait on.
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass
    script = os.path.abspath(_CONFIG["script"])
    sys.argv = [script] + list(_CONFIG.get("argv", []))
    sys.path.insert(0, os.path.dirname(script))
    sys.path.extend(_CONFIG.get("paths") or [])  # packages the instructor allowed, after the student's own
    _install_windows_stand_ins(_source_of(script))
    report("started", pid=os.getpid(), limits=applied)
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as done:
        code = done.code
        report("exit", code=code if isinstance(code, int) or code is None else str(code), how="sys.exit")
        raise
    except KeyboardInterrupt:
        report("exit", code=130, how="KeyboardInterrupt")
        raise
    except BaseException:
        exc_type, exc, tb = sys.exc_info()
        report("exception", **_describe(exc_type, exc, tb))
        raise
    report("main_returned")


if __name__ == "__main__":
    main()
