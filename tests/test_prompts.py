"""Start-up questions in the languages students write them in."""
import pytest

from autograder.wire import prompts
from autograder.grading.puppet import answer_for

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("question, kind", [
    ("Port: ", "port"), ("Введите порт сервера: ", "port"), ("Puerto (Enter = 5000): ", "port"),
    ("服务器端口：", "port"), ("Enter host and port: ", "port"),
    ("Server IP: ", "host"), ("Адрес сервера: ", "host"), ("Dirección del servidor: ", "host"),
    ("Введите ник: ", "name"), ("Ваше имя: ", "name"), ("Ingrese su nombre: ", "name"), ("请输入昵称：", "name"),
    ("Ім'я: ", "name"), ("Choose a username: ", "name"), ("Benutzername: ", "name"),
    ("> ", None), ("Сообщение: ", None),
])
def test_what_a_question_asks_for(question, kind):
    assert prompts.kind_of(question) == kind


def test_what_a_person_types_at_it():
    assert answer_for("Puerto: ", "alice", 40123) == "40123"
    assert answer_for("IP сервера: ", "alice", 40123) == "127.0.0.1"
    assert answer_for("Ник: ", "alice", 40123) is None  # the nickname is typed when the chat is ready for it
