"""The built-in checks, one module per part of the lab.

A check is a function named ``check_<what it proves>`` registered with
``@check`` (``grading.registry``); the first line of its docstring is the
English title a student reads (the Russian one lives in the catalogue under
``check.<id>``).  Its parameters name the fixtures it needs
(``grading.fixtures``).  Points come from the rubric, not from here.

The modules are imported in report order: the server's behaviour
(``server_tcp``, ``server_udp``, ``two_user``), ``threads``, then the client's.
"""
