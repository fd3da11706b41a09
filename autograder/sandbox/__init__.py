"""The sandbox: student programs run only here, in children of their own.

``process.Child`` starts one program under the harness (``harness/child.py``,
which rewrites ports, reports what the program does through a pipe and runs
it as ``__main__``), with a deadline, resource limits and capped output, and
kills its whole tree at the end.  ``containment`` adds what the OS allows
(namespaces, a separate uid, ``student_root``'s private root); ``launch``
starts a server and waits until it listens; ``packages`` installs what an
instructor allows; ``excerpt`` cuts a program's output to what its author
should read.  Above ``wire`` (it reads streams) and ``intake``.
"""
