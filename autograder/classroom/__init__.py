"""A class at once: many submissions, one gradebook.

``batch`` finds the submissions in a folder (or a Moodle, Canvas or course
repository download, with ``course``) and grades each in a process of its own,
``--jobs`` at a time; ``classrun`` writes what a class run leaves (gradebook,
summary, exports, shards and their ``merge``), with ``roster``, ``lateness``
and ``regrade`` (reports reused for unchanged submissions); ``similarity``
compares submissions with each other and with the kit; ``review`` applies a
person's verdicts to checks that wait for one.
"""
