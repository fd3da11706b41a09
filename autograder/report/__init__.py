"""Reports: what a grading found, for the people who read it.

Renderers take report data in (``results.Report`` or its JSON form) and give
text out: ``text`` for the terminal, ``html`` (a page with the sequence
diagram of each failed scenario) and ``markdown``, ``json_report`` (schema 1),
``summary`` for a class; ``detected`` puts what was learnt about the chat into
words and ``invisible`` makes invisible characters visible.  ``live`` shows a
grading as it happens, paced for a room.  None of them knows which check it
renders; none runs student code.
"""
