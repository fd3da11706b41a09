"""Reports for the platforms an instructor grades on.

``gradescope``: a submission's ``results.json`` and the autograder bundle
(``autograde export gradescope``).  ``classroom``: the GitHub Classroom
workflow (``autograde export github-classroom``) and the runner result its
reporter reads.  ``gradebook``: the class as CSV, JUnit XML and a summary.
``moodle``: who a Moodle download belongs to, and the grading worksheet that goes back.
All of them read the JSON report (schema 1), never the grader's internals.
"""
