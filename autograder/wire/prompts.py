"""Start-up questions students' programs ask, and what a person types at them.

"Port?", "Server IP:", "Введите ник:", "Ingrese su nombre:", "请输入昵称："…
The words are matched in lower case, port before host (``"host:port"``
questions want the port more), and are shared with the sandbox harness
through its configuration (it cannot import this package).
"""
from __future__ import annotations

from typing import Optional

PORT_WORDS = ("port", "порт", "puerto", "porta", "端口", "ポート", "포트")
HOST_WORDS = ("host", "хост", "адрес", "address", "adresse", "dirección", "direccion", "endereço", "indirizzo",
              "мекенжай", "server ip", " ip", "ip:", "ip ", "ip-", "地址", "主机", "ホスト")
NAME_WORDS = ("name", "nick", "имя", "ник", "зовут", "логин", "login", "user", "ім'я", "імʼя", "нік", "псевдонім",
              "аты", "есім", "лақап", "nombre", "apodo", "usuario", "nom", "pseudo", "nome", "apelido", "benutzer",
              "名字", "昵称", "用户", "名前", "이름")
WORDS = {"port": PORT_WORDS, "host": HOST_WORDS, "name": NAME_WORDS}


def kind_of(prompt: str) -> Optional[str]:
    """"port", "host", "name" or None: what a start-up question asks for."""
    text = str(prompt).lower()
    return next((kind for kind, words in WORDS.items() if any(word in text for word in words)), None)
