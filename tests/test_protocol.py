"""The sans-IO matcher: same text for any split of the bytes, and the
questions the checks ask answered from text alone."""
import pytest

from autograder.wire import protocol
from autograder.wire.protocol import TextStream, find_message

pytestmark = pytest.mark.timeout(60)

TRANSCRIPTS = [
    "NICK".encode() + "alice joined the chat.\nbob: привет, мир\n".encode(),
    b"\x1b[32malice\x1b[0m: hi\r\n\x1b[1;31m* bob left\x1b[0m\r\n",
    "Ваше имя: \r\nАлиса: Ёжик съел щи\r\n".encode("utf-8"),
    b"\xff\xfe broken \xc3 bytes\r",
    "bob присоединился в чатalice: msg-1carol: msg-2".encode(),
    b"\x1b]0;title\x07text after osc\n",
]


def whole(data: bytes) -> str:
    stream = TextStream()
    stream.feed(data)
    stream.close()
    return stream.text


@pytest.mark.parametrize("data", TRANSCRIPTS)
def test_every_two_way_split_gives_the_same_text(data):
    expected = whole(data)
    for cut in range(len(data) + 1):
        stream = TextStream()
        stream.feed(data[:cut])
        stream.feed(data[cut:])
        stream.close()
        assert stream.text == expected, f"split at {cut}"


@pytest.mark.parametrize("data", TRANSCRIPTS)
def test_byte_by_byte_gives_the_same_text(data):
    stream = TextStream()
    for i in range(len(data)):
        stream.feed(data[i:i + 1])
    stream.close()
    assert stream.text == whole(data)


def test_stable_text_never_changes_once_given():
    stream = TextStream()
    seen = ""
    for chunk in (b"a\r", b"\nb\x1b[3", b"1mc", "д".encode()[:1], "д".encode()[1:]):
        seen += stream.feed(chunk)
        assert stream.text == seen
    assert seen == "a\nbcд"


def test_colour_codes_and_crlf_are_removed():
    assert whole(TRANSCRIPTS[1]) == "alice: hi\n* bob left\n"


def test_invalid_utf8_is_replaced_not_fatal():
    text = whole(TRANSCRIPTS[3])
    assert "broken" in text and "\ufffd" in text


def test_name_on_the_same_line_counts():
    text = "* bob joined\nalice: msg-1\n"
    found = find_message(text, "msg-1", "alice")
    assert found and found.named


def test_name_of_another_event_does_not_count():
    text = "* alice joined\nmsg-1\n"
    assert not find_message(text, "msg-1", "alice").named


def test_glued_messages_without_newlines():
    text = whole(TRANSCRIPTS[4])
    after_notice = text.index("alice")
    assert find_message(text, "msg-2", "carol", after_notice).named
    assert not find_message(text, "msg-2", "bob", after_notice).named
    # The previous message ends where the next one's window starts.
    assert not find_message(text, "msg-2", "alice", text.index("msg-1") + 5).named


def test_nickname_kept_with_its_newline_still_counts():
    # A server that does not strip the nickname sends "alice\n: text".
    assert find_message("alice\n: msg-7", "msg-7", "alice").named


def test_text_before_start_is_not_searched():
    text = "alice: msg-1\nmsg-1\n"
    assert find_message(text, "msg-1", start=8).start == 13


def test_counting_and_mentions():
    text = "x: t-1\nx: t-1\n* carol left\n"
    assert protocol.count_occurrences(text, "t-1") == 2
    assert protocol.mentions(text, "carol", start=10)
    assert not protocol.mentions(text, "dave")


def test_visible_shows_invisible_characters():
    assert protocol.visible("a\r\n\t\x00") == "a␍⏎\n⇥\\x00"


# --- names as the server shows them ---------------------------------------------

from autograder.wire.protocol import relayed_words, shown_name, shown_names  # noqa: E402


@pytest.mark.parametrize("prefix, name", [("Гость 1: ", "Гость 1"), ("[127.0.0.1:51908] ", "127.0.0.1:51908"),
                                          ("User#3 > ", "User#3"), ("[14:02] <alice> ", "alice"),
                                          ("14:02:33 | Гость 2: ", "Гость 2"), ("", "")])
def test_a_shown_name_is_what_precedes_the_words_without_separators_and_clocks(prefix, name):
    assert shown_name(prefix) == name


def test_shown_names_must_be_one_per_user_and_differ():
    assert shown_names({"alice": ["Гость 1: ", "Гость 1: "], "bob": ["Гость 2: "]}) == {"alice": "Гость 1",
                                                                                         "bob": "Гость 2"}
    assert shown_names({"alice": ["User: "], "bob": ["User: "]}) == {}  # one label for all names nobody
    assert shown_names({"alice": ["[14:02] "], "bob": ["[14:03] "]}) == {}  # a clock is no name
    assert shown_names({"alice": ["Гость 1: "]}) == {}  # one user: nothing to tell apart
    assert shown_names({"alice": ["Гость 1: ", "Гость 3: "], "bob": ["Гость 2: "]}) == {}


def test_a_nickname_relayed_as_chat_is_told_from_a_notice():
    assert relayed_words("Гость 2: bob", "Гость 2: ", "bob")
    assert not relayed_words("Гость 2 присоединился: bob", "Гость 2: ", "bob")
    assert not relayed_words("bob joined the chat", "bob: ", "bob")


def test_notices_name_a_user_any_way_the_server_knows_them():
    from autograder.wire.clients import Profile, Room, ScriptedUser

    room = Room(("127.0.0.1", 9), Profile())
    alice, bob = ScriptedUser("alice", room), ScriptedUser("bob", room)
    bob.local_address = ("127.0.0.1", 51908)
    alice.stream.feed("Гость 2: bob\n*** 127.0.0.1:51908 connected\nГость 2: relay-1\n".encode())
    relayed = ("Гость 2: ", "bob")
    assert alice.notices_of(bob, relayed=relayed, before="relay-1") == ["*** 127.0.0.1:51908 connected"]
    bob.shown_as = "Гость 2"
    assert alice.notices_of(bob, relayed=relayed, before="relay-1") == ["*** 127.0.0.1:51908 connected"]
    alice.stream.feed("Гость 2 присоединился\n".encode())
    assert "Гость 2 присоединился" in alice.notices_of(bob, relayed=relayed)
