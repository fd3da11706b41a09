"""The shape of a student's own frames, learnt from one example (sans-IO)."""
import json
import struct

import pytest

from autograder.wire.frames import FrameShape, learn
from autograder.wire.protocol import TextStream, normalise

pytestmark = pytest.mark.timeout(30)

JSON_MSG = b'{"type": "msg", "text": "hello-17"}'
# (what the client sent, the value typed, the nickname, the frame a user "bob" would send for "Привет")
CASES = [
    (b'{"type": "hello", "name": "alice"}\n', "alice", "alice", b'{"type": "hello", "name": "bob"}\n'),
    (b'{"type": "msg", "text": "hello-17"}\n', "hello-17", "alice",
     b'{"type": "msg", "text": "\\u041f\\u0440\\u0438\\u0432\\u0435\\u0442"}\n'),
    (struct.pack("!I", len(JSON_MSG)) + JSON_MSG, "hello-17", "alice", None),
    (struct.pack("!I", 5) + b"alice" + struct.pack("!I", len(JSON_MSG)) + JSON_MSG, "hello-17", "alice", None),
    (b"NICK:alice\n", "alice", "alice", b"NICK:bob\n"),
    (b"NICK:alice\nMSG:hello-17\n", "hello-17", "alice", "MSG:Привет\n".encode()),
    (b"alice\x00", "alice", "alice", b"bob\x00"),
    (b"alice<SEP>hello-17", "hello-17", "alice", "bob<SEP>Привет".encode()),
    (b"alice<SEP>/joined", "alice", "alice", b"bob<SEP>/joined"),
    (b"5         alice", "alice", "alice", b"3         bob"),
    (b"8" + b" " * 63 + b"hello-17", "hello-17", "alice", None),
]


@pytest.mark.parametrize("sent, value, name, bob", CASES)
def test_a_learnt_shape_writes_the_example_again(sent, value, name, bob):
    shape = learn(sent, value, name)
    again = shape.render(value, name)
    assert sent.endswith(again)
    if bob is not None:
        said = "bob" if value == name else "Привет"
        assert shape.render(said, "bob") == bob


def test_length_headers_count_the_new_value():
    shape = learn(struct.pack("!I", len(JSON_MSG)) + JSON_MSG, "hello-17", "alice")
    assert shape.header == "u32be"
    frame = shape.render("Привет, мир", "bob")
    assert struct.unpack("!I", frame[:4])[0] == len(frame) - 4
    assert json.loads(frame[4:])["text"] == "Привет, мир"
    decimal = learn(b"8" + b" " * 63 + b"hello-17", "hello-17")
    assert decimal.header == "decimal:64"
    frame = decimal.render("Привет")
    assert int(frame[:64]) == len(frame) - 64


def test_plain_text_is_recognised_as_plain():
    assert learn(b"alice\n", "alice").plain
    assert learn(b"alice", "alice").plain
    assert not learn(b"NICK:alice\n", "alice").plain
    assert learn(b"nothing here", "alice") is None
    assert learn(b"alice and alice", "alice") is None  # ambiguous: never guess


def test_the_report_shows_the_shape():
    assert learn(b'{"from": "alice", "text": "x-1"}\n', "x-1", "alice").describe() == '{"from": "{name}", "text": "…"}⏎'
    assert FrameShape(header="u32be").describe() == "[u32be]…"


def test_json_escapes_read_as_text_at_every_split():
    data = (json.dumps({"from": "Алиса", "text": "Привет"}) + "\n").encode() + b"tail \\u12"
    whole = normalise(data.decode())
    assert '"Алиса"' in whole and whole.endswith("\\u12")
    for cut in range(len(data) + 1):
        stream = TextStream()
        stream.feed(data[:cut])
        stream.feed(data[cut:])
        stream.close()
        assert stream.text == whole, cut


def _padded(payload: bytes, spec: str) -> bytes:
    return format(len(payload), spec).encode("ascii") + payload


# The fixed-width header tutorial: a length padded to 10 or 64 characters, then
# time, name and text joined by NUL; the nickname frame comes first.
@pytest.mark.parametrize("spec, header", [("<10", "decimal:10"), ("<64", "decimal:64"), (">10", "decimal>:10"),
                                          ("010", "decimal0:10"), (">64", "decimal>:64")])
def test_fixed_width_headers_are_followed_past_the_first_frame(spec, header):
    sent = _padded(b"alice", spec) + _padded(b"14:07\x00alice\x00hello-17", spec)
    shape = learn(sent, "hello-17", "alice")
    assert shape.header == header
    assert shape.render("hello-17", "alice") == sent[len(_padded(b"alice", spec)):]
    frame = shape.render("Привет", "bob")
    width = int(header.split(":")[1])
    assert int(frame[:width]) == len(frame) - width
    assert frame[width:].split(b"\x00") == [b"14:07", b"bob", "Привет".encode()]  # the name field is bob's


def test_a_number_glued_to_the_text_is_no_header():
    assert learn(b"5alice", "alice").header is None


@pytest.mark.parametrize("sent, bob", [(b"anna : hello-17\n", b"bob : hi\n"), (b"[anna] hello-17\n", b"[bob] hi\n"),
                                       (b"Anna> hello-17\n", b"bob> hi\n")])
def test_a_name_the_client_hard_codes_becomes_the_users_own(sent, bob):
    assert learn(sent, "hello-17", "alice").render("hi", "bob") == bob
    # The nickname typed into such a client is sent as a chat line, under the same name.
    joined = sent.replace(b"hello-17", b"alice")
    assert learn(joined, "alice", "alice").render("bob", "bob") == bob.replace(b"hi", b"bob")


@pytest.mark.parametrize("sent", [b"MSG:hello-17\n", b"msg: hello-17\n", b"SAY hello-17\n", b"14:07 anna: hello-17\n",
                                  b"nick: hello-17\n", b"join:hello-17\n"])
def test_commands_are_no_names(sent):
    assert learn(sent, "hello-17", "alice").render("hi", "bob") == sent.replace(b"hello-17", b"hi")


def test_the_fake_server_speaks_the_clients_own_framing_back():
    from types import SimpleNamespace

    from autograder.grading.clientrun import ClientRun

    header = _padded(b"14:07\x00alice\x00hello-17", "<64")
    run = SimpleNamespace(frames={"message": learn(header, "hello-17", "alice")})
    frame = ClientRun._chat_line(run, "bob", "hi")
    assert int(frame[:64]) == len(frame) - 64 and frame[64:] == b"14:07\x00bob\x00hi"
    plain = SimpleNamespace(frames={"message": learn(b"hello-17\n", "hello-17", "alice")})
    assert ClientRun._chat_line(plain, "bob", "hi") == b"bob: hi\n"


def test_a_learnt_chat_line_is_not_called_a_protocol_of_ones_own():
    from autograder.wire.frames import NAME_MARK, FrameShape

    assert FrameShape(before=NAME_MARK + b": ", after=b"\n").text_line  # "alice: hello": a plain chat line
    assert FrameShape(before=b"[" + NAME_MARK + b"] ", after=b"\r\n").text_line
    assert not FrameShape(before=b"MSG:", after=b"\n").text_line  # a command word: the student's protocol
    assert not FrameShape(before=b'{"text": "', after=b'"}\n', json_string=True).text_line
    assert not FrameShape(after=b"\x00").text_line and not FrameShape(header="u32be").text_line
