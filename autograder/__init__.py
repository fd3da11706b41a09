"""chatlab's autograder: grade a socket + threading chat submission in a sandbox.

What an instructor's own check file needs (``autograde PATH --checks my_checks.py``)::

    from autograder import CheckFailed, NotApplicable, check
"""

__version__ = "0.1.0"


def __getattr__(name):  # lazily: importing the package must stay cheap (python -m autograder)
    if name in ("check", "NotApplicable"):
        from autograder.grading import registry

        return getattr(registry, name)
    if name == "CheckFailed":
        from autograder.results import CheckFailed

        return CheckFailed
    raise AttributeError(name)
