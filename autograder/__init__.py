"""chatlab's autograder: grade a socket + threading chat submission in a sandbox."""

__version__ = "0.1.0"
