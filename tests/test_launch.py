"""Programs are started the way a person would start them.

Role arguments are read from ``argparse``/``sys.argv``; a thin entry script
over a package is the program, not the package's modules; an instructor can
say how in ``chatlab.toml``; a missing package is named in one line and can
be allowed with ``--allow-packages``.
"""
import base64
import hashlib
import os
import shutil
import tempfile
import zipfile

import pytest

from autograder.intake import discover, roles
from grading_helpers import FIXTURES, ROOT, run_autograde, statuses

pytestmark = pytest.mark.timeout(240)


@pytest.mark.parametrize("source, server, client", [
    ("import sys\nif sys.argv[1] == 'server':\n    pass\nelif sys.argv[1] == 'client':\n    pass\n",
     ["server"], ["client"]),
    ("import sys\nmode = sys.argv[1]\nif mode == 's':\n    serve()\nelse:\n    assert mode == 'c'\n",
     ["s"], ["c"]),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--mode', choices=['server', 'client'], required=True)\n"
     "p.add_argument('--port', type=int, default=7000)\n", ["--mode", "server"], ["--mode", "client"]),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('role', choices=('сервер', 'клиент'))\n",
     ["сервер"], ["клиент"]),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('-s', '--server', action='store_true')\n"
     "p.add_argument('-c', '--client', action='store_true')\n", ["--server"], ["--client"]),
    ("import sys\nport = int(sys.argv[1])\n", ["9090"], ["9090"]),
    ("import sys\nhost = sys.argv[1]\nport = int(sys.argv[2])\n", ["127.0.0.1", "9090"], ["127.0.0.1", "9090"]),
    ("import socket\ns = socket.socket()\n", [], []),
])
def test_arguments_are_read_from_the_code(source, server, client):
    launch = roles.guess(source)
    assert (launch.server, launch.client) == (server, client)


def test_a_thin_entry_script_is_the_program_not_its_package():
    found = discover.find(FIXTURES / "protocol" / "package_entry")
    assert found.files() == {"server": "server_socket.py", "client": "client_socket.py"}


def test_one_file_plays_both_roles():
    found = discover.find(FIXTURES / "protocol" / "role_argparse")
    assert found.files() == {"server": "chat.py --mode server", "client": "chat.py --mode client"}


def test_the_instructor_says_how_in_a_file_beside_the_submission(tmp_path):
    submission = tmp_path / "petrov"
    shutil.copytree(FIXTURES / "protocol" / "role_argument", submission)
    (submission / "task4_chat.py").rename(submission / "chat_main.py")
    (tmp_path / "petrov.chatlab.toml").write_text('server = "chat_main.py server"\nclient = "chat_main.py client"\n',
                                                  encoding="utf-8")
    before = sorted(p.name for p in submission.iterdir())
    code, report, output = run_autograde(submission)
    assert code == 0, output
    assert report["files"] == {"server": "chat_main.py server", "client": "chat_main.py client"}
    assert report["detected"]["launch"]["how"] == "override"
    assert report["score"] == 100, output
    assert sorted(p.name for p in submission.iterdir()) == before  # the submission is never written


def test_a_file_the_instructor_named_but_the_student_lacks_is_reported(tmp_path):
    submission = tmp_path / "ivanova"
    shutil.copytree(FIXTURES / "protocol" / "package_entry", submission)
    said = roles.override(submission, server="chat_server.py", client="client_socket.py --verbose")
    found = discover.find(submission, said)
    assert found.files()["server"] == "server_socket.py"  # discovery's choice stands
    assert found.launch["missing"] == {"server": "chat_server.py"}
    assert found.launch["overridden"] == ["client"] and found.client_argv == ["--verbose"]
    assert found.launch["how"] != "override"  # the server was not started the instructor's way


def _wheel(folder, name="chatlab_paint", version="0.1"):
    """A real, tiny wheel, made here: pip installs it without any network."""
    module = b"def paint(text):\n    return '\\x1b[32m' + text + '\\x1b[0m'\n"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": module,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: chatlab-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def test_a_missing_package_is_named_and_can_be_allowed(tmp_path, monkeypatch):
    submission = tmp_path / "colourful"
    shutil.copytree(ROOT / "reference_solution" / "tcp", submission)
    server = submission / "server.py"
    source = server.read_text(encoding="utf-8")
    server.write_text(source.replace("\nimport socket\n", "\nimport chatlab_paint  # noqa\nimport socket\n", 1),
                      encoding="utf-8")
    code, report, output = run_autograde(submission)
    starts = next(c for c in report["checks"] if c["id"] == "starts")
    assert starts["status"] == "failed" and "chatlab_paint" in starts["message"], starts
    assert "--allow-packages" in starts["hint"]
    # The cache must be readable by the sandbox's own uid: not inside pytest's private tmp_path.
    cache = tempfile.mkdtemp(prefix="chatlab-test-packages-")
    os.chmod(cache, 0o755)
    monkeypatch.setenv("CHATLAB_PACKAGE_CACHE", cache)
    try:
        code, report, output = run_autograde(submission, "--allow-packages", str(_wheel(tmp_path)))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    assert code == 0, output
    assert statuses(report)["starts"] == "passed" and report["score"] == 100, output


def test_local_imports_are_followed_into_packages():
    from autograder.intake.static import imports_followed

    entry = FIXTURES / "protocol" / "package_json" / "server.py"
    assert "json" in imports_followed(entry)  # server.py -> chatpkg.server -> .wire -> json
    assert "json" not in imports_followed(entry, depth=1)
