"""Intake: what was handed in, and how to run it. Pure reading; no student code runs here.

A submission arrives as a folder, a zip, a Markdown report or a notebook.
``extract`` pulls programs out of documents (a whole-lab report: each task's
section, the chat task chosen by ``tasks``); ``discover`` decides which file is
the server and which the client (``roles``: by name, by content, by an
instructor's ``--server``/``--client``); ``static`` reads facts from the
source without running it (threading, UDP, two-user, imports); ``safe_files``
reads anything a student made without following links or blocking on FIFOs.
Imports only ``results`` and ``i18n`` below it.
"""
