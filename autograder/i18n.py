"""Every sentence a user reads, in English and Russian.

Keys are stable; values are ``str.format`` templates.  ``translate`` falls
back to English and then to the key itself, and ``tests/test_i18n.py`` makes
sure neither fallback is ever needed.
"""
from __future__ import annotations

import locale
import os
from typing import Any, Dict, Optional

LANGUAGES = ("en", "ru")

CATALOGUE: Dict[str, Dict[str, str]] = {
    # --- check titles ---------------------------------------------------------
    "check.starts": {"en": "The server starts and listens within 10 s",
                     "ru": "Сервер запускается и начинает слушать порт за 10 с"},
    "check.handshake": {"en": "A nickname is accepted and the user is served",
                        "ru": "Сервер принимает никнейм и обслуживает пользователя"},
    "check.broadcast": {"en": "A message reaches every other user",
                        "ru": "Сообщение доходит до всех остальных пользователей"},
    "check.names": {"en": "Messages carry the sender's name",
                    "ru": "В сообщениях указано имя отправителя"},
    "check.join_notice": {"en": "Others are told when a user joins",
                          "ru": "Остальным сообщают о входе пользователя"},
    "check.leave_notice": {"en": "Others are told within a few seconds when a user leaves",
                           "ru": "Остальным в течение нескольких секунд сообщают о выходе пользователя"},
    "check.drop_survival": {"en": "After a user vanishes (connection reset), the others keep chatting",
                            "ru": "После обрыва связи с одним пользователем остальные продолжают общаться"},
    "check.idle_after_leave": {"en": "After users leave, the server neither spins the CPU nor sends junk",
                               "ru": "После выхода пользователей сервер не грузит процессор и не шлёт мусор"},
    "check.many_clients": {"en": "10 users at once, every message delivered to every other user exactly once",
                           "ru": "10 пользователей сразу: каждое сообщение доходит до каждого ровно один раз"},
    "check.unicode": {"en": "Cyrillic nickname and text arrive intact",
                      "ru": "Кириллический никнейм и текст доходят без искажений"},
    "check.threads": {"en": "The server uses threading, a thread per connected client",
                      "ru": "Сервер использует threading: отдельный поток на каждого клиента"},
    # --- skips and our own errors ------------------------------------------------
    "skip.dependency": {"en": "not run: it needs “{check}”, which was {status}",
                        "ru": "не запускалась: нужна проверка «{check}», а она {status}"},
    "skip.other": {"en": "not run: {reason}", "ru": "не запускалась: {reason}"},
    "error.internal": {"en": "the grader itself failed here (not your fault): {detail}",
                       "ru": "ошибка в самом проверяющем (вы не виноваты): {detail}"},
    "fail.timeout": {"en": "the check ran out of time: the program stopped answering",
                     "ru": "проверка не уложилась во время: программа перестала отвечать"},
    "hint.timeout": {"en": "Look for a blocking call that never returns (recv, accept, input, join) in the path that serves users.",
                     "ru": "Ищите блокирующий вызов, который не возвращается (recv, accept, input, join), там, где обслуживаются пользователи."},
    "fail.restart": {"en": "the server did not start this time (it did in “starts”)",
                     "ru": "на этот раз сервер не запустился (в проверке «starts» запускался)"},
    # --- starts -------------------------------------------------------------------
    "fail.starts.import": {"en": "the server cannot start: {error}",
                           "ru": "сервер не запускается: {error}"},
    "hint.starts.import": {"en": "Use only the standard library (socket, threading), or ask your instructor to allow the package.",
                           "ru": "Используйте только стандартную библиотеку (socket, threading) или попросите преподавателя разрешить пакет."},
    "fail.starts.crashed": {"en": "the server crashed before listening: {type}: {message} ({file}, line {line})",
                            "ru": "сервер упал, не начав слушать порт: {type}: {message} ({file}, строка {line})"},
    "hint.starts.crashed": {"en": "Run the server yourself and read the traceback; fix the line it names.",
                            "ru": "Запустите сервер сами и прочитайте traceback: исправьте строку, на которую он указывает."},
    "fail.starts.exited": {"en": "the server exited (code {code}) without listening",
                           "ru": "сервер завершился (код {code}), так и не начав слушать порт"},
    "hint.starts.exited": {"en": "A server must keep running: call listen() and loop on accept().",
                           "ru": "Сервер должен работать постоянно: вызовите listen() и принимайте клиентов в цикле accept()."},
    "fail.starts.no_listen": {"en": "the server bound a TCP port but never called listen()",
                              "ru": "сервер занял TCP-порт (bind), но не вызвал listen()"},
    "hint.starts.no_listen": {"en": "After bind() call listen(), then accept() in a loop.",
                              "ru": "После bind() вызовите listen(), затем accept() в цикле."},
    "fail.starts.input": {"en": "the server waits for keyboard input before listening (prompt: {prompt!r})",
                          "ru": "сервер ждёт ввода с клавиатуры, не начав слушать порт (приглашение: {prompt!r})"},
    "hint.starts.input": {"en": "Take settings from constants or command-line arguments, with defaults.",
                          "ru": "Берите настройки из констант или аргументов командной строки, со значениями по умолчанию."},
    "fail.starts.timeout": {"en": "the server did not listen on a port within {seconds} s",
                            "ru": "сервер не начал слушать порт за {seconds} с"},
    "hint.starts.timeout": {"en": "Is the server file really the one that calls bind() and listen()? Does it wait for something first?",
                            "ru": "Точно ли этот файл вызывает bind() и listen()? Не ждёт ли он чего-то перед этим?"},
    # --- handshake ------------------------------------------------------------------
    "fail.handshake.closed": {"en": "the server closed {who}'s connection right after the nickname",
                              "ru": "сервер закрыл соединение {who} сразу после никнейма"},
    "fail.handshake.closed_after_message": {"en": "the server closed {who}'s connection after her first message",
                                            "ru": "сервер закрыл соединение {who} после первого сообщения"},
    "hint.handshake.closed": {"en": "Serve each client in a loop (while True: recv …) in its own thread; do not close after one message.",
                              "ru": "Обслуживайте клиента в цикле (while True: recv …) в отдельном потоке; не закрывайте соединение после одного сообщения."},
    # --- broadcast / names ----------------------------------------------------------
    "fail.broadcast.missing": {"en": "{count} message(s) did not reach everyone: {missing}",
                               "ru": "{count} сообщ. дошли не до всех: {missing}"},
    "hint.broadcast.missing": {"en": "Keep every connected client in a shared list and send each message to all of them (except, if you like, the sender).",
                               "ru": "Храните всех подключённых клиентов в общем списке и отправляйте каждое сообщение всем им (отправителю — по желанию)."},
    "fail.names.missing": {"en": "{receiver} got {sender}'s message without the name {sender}",
                           "ru": "{receiver} получил сообщение от {sender} без имени {sender}"},
    "hint.names.missing": {"en": "Prefix each relayed message with its author, e.g. f\"{{nick}}: {{text}}\".",
                           "ru": "Добавляйте к пересылаемому сообщению имя автора, например f\"{{nick}}: {{text}}\"."},
    # --- notices --------------------------------------------------------------------
    "fail.join_notice.missing": {"en": "alice was not told that bob joined",
                                 "ru": "alice не узнала, что вошёл bob"},
    "hint.join_notice.missing": {"en": "After the nickname is accepted, send “<nick> joined the chat” to the others.",
                                 "ru": "После приёма никнейма отправьте остальным «<ник> вошёл в чат»."},
    "fail.leave_notice.missing": {"en": "alice was not told within {seconds} s that bob left",
                                  "ru": "alice не узнала за {seconds} с, что bob вышел"},
    "hint.leave_notice.missing": {"en": "recv() returning b'' means the client left: remove it and tell the others.",
                                  "ru": "recv(), вернувший b'', означает, что клиент ушёл: удалите его и сообщите остальным."},
    # --- drop survival --------------------------------------------------------------
    "fail.drop.lost": {"en": "after bob vanished, message {number} from {sender} did not reach {receiver}",
                       "ru": "после обрыва связи с bob сообщение {number} от {sender} не дошло до {receiver}"},
    "fail.drop.dead": {"en": "after bob vanished the server died (message {number} from {sender} never reached {receiver})",
                       "ru": "после обрыва связи с bob сервер упал (сообщение {number} от {sender} не дошло до {receiver})"},
    "fail.drop.dead_later": {"en": "the server process ended after a user vanished",
                             "ru": "процесс сервера завершился после обрыва связи с пользователем"},
    "hint.drop.lost": {"en": "A reset raises ConnectionResetError in recv/send: catch it, remove that client, and keep sending to the others (do not remove from a list while looping over it).",
                       "ru": "При обрыве recv/send бросают ConnectionResetError: перехватите его, удалите клиента и продолжайте рассылку остальным (не удаляйте из списка во время обхода по нему)."},
    "hint.drop.dead": {"en": "An exception in one client's thread must not stop the server: wrap the client loop in try/except and clean up.",
                       "ru": "Исключение в потоке одного клиента не должно останавливать сервер: оберните цикл клиента в try/except и приберите за ним."},
    # --- idle -----------------------------------------------------------------------
    "fail.idle.cpu": {"en": "after a user left, the server kept a CPU core {percent}% busy",
                      "ru": "после выхода пользователя сервер загружал ядро процессора на {percent}%"},
    "fail.idle.junk": {"en": "after a user left, the server sent {size} bytes of junk to the others",
                       "ru": "после выхода пользователя сервер отправил остальным {size} байт мусора"},
    "hint.idle.cpu": {"en": "recv() returns b'' forever once a client has gone: break out of the loop when data is empty.",
                      "ru": "После ухода клиента recv() бесконечно возвращает b'': выходите из цикла, если данные пустые."},
    # --- many clients ---------------------------------------------------------------
    "fail.many.missing": {"en": "{count} of {total} deliveries missing with 10 users: {missing}",
                          "ru": "не дошло {count} из {total} доставок при 10 пользователях: {missing}"},
    "hint.many.missing": {"en": "Guard the client list with a Lock, do not send while holding it for long, and never read two messages as one.",
                          "ru": "Защитите список клиентов замком (Lock), не держите его во время долгой отправки и не склеивайте два сообщения в одно."},
    "fail.many.doubled": {"en": "some messages arrived twice: {missing}",
                          "ru": "некоторые сообщения пришли дважды: {missing}"},
    "hint.many.doubled": {"en": "Is a client stored twice in the list, or is a message sent in two places?",
                          "ru": "Не хранится ли клиент в списке дважды и не отправляется ли сообщение в двух местах?"},
    # --- unicode --------------------------------------------------------------------
    "fail.unicode.missing": {"en": "a Cyrillic message from Алиса never reached Борис",
                             "ru": "сообщение на кириллице от Алисы не дошло до Бориса"},
    "fail.unicode.mangled": {"en": "the Cyrillic text arrived damaged",
                             "ru": "текст на кириллице пришёл искажённым"},
    "fail.unicode.name": {"en": "the Cyrillic nickname Алиса did not arrive with her message",
                          "ru": "кириллический никнейм Алиса не пришёл вместе с сообщением"},
    "hint.unicode": {"en": "Encode and decode with 'utf-8' everywhere (not 'ascii'), and do not cut a message in the middle of a character.",
                     "ru": "Везде кодируйте и декодируйте в 'utf-8' (не 'ascii') и не режьте сообщение посреди символа."},
    # --- threads --------------------------------------------------------------------
    "fail.threads.static": {"en": "the server never imports threading (the lab requires it)",
                            "ru": "сервер не импортирует threading (а задание этого требует)"},
    "hint.threads.static": {"en": "Serve each client in threading.Thread(target=handle, args=(conn,)).start().",
                            "ru": "Обслуживайте каждого клиента в threading.Thread(target=handle, args=(conn,)).start()."},
    "fail.threads.dynamic": {"en": "threads: {idle} with no users, {busy} with 3 users — not a thread per client",
                             "ru": "потоков: {idle} без пользователей и {busy} с тремя — это не поток на клиента"},
    "hint.threads.dynamic": {"en": "Start a new thread for every accepted connection.",
                             "ru": "Запускайте новый поток на каждое принятое соединение."},
    # --- the student's client -----------------------------------------------------------
    "check.client_connects": {"en": "The client connects to the server",
                              "ru": "Клиент подключается к серверу"},
    "check.client_handshake": {"en": "The client answers the server's prompt or sends the nickname",
                               "ru": "Клиент отвечает на запрос сервера или сам отправляет никнейм"},
    "check.client_sends": {"en": "A typed line reaches the server",
                           "ru": "Набранная строка доходит до сервера"},
    "check.client_receives": {"en": "A message from the server is printed while the user is idle (a receiving thread)",
                              "ru": "Сообщение от сервера печатается, пока пользователь ничего не вводит (поток приёма)"},
    "check.client_exits": {"en": "The client ends without a traceback when the server goes away or the user quits",
                           "ru": "Клиент завершается без traceback, когда сервер пропадает или пользователь выходит"},
    "fail.client.missing": {"en": "no client file was found in the submission",
                            "ru": "в работе не найден файл клиента"},
    "hint.client.missing": {"en": "Hand in client.py next to server.py.",
                            "ru": "Положите client.py рядом с server.py."},
    "fail.client.import": {"en": "the client cannot start: {message}",
                           "ru": "клиент не запускается: {message}"},
    "fail.client.crashed": {"en": "the client crashed: {type}: {message} ({file}, line {line})",
                            "ru": "клиент упал: {type}: {message} ({file}, строка {line})"},
    "fail.client.exited": {"en": "the client exited (code {code}) before connecting",
                           "ru": "клиент завершился (код {code}), не подключившись"},
    "hint.client.crashed": {"en": "Run the client yourself against your server and read the traceback.",
                            "ru": "Запустите клиент со своим сервером и прочитайте traceback."},
    "fail.client.no_connect": {"en": "the client did not connect within {seconds} s",
                               "ru": "клиент не подключился за {seconds} с"},
    "hint.client.no_connect": {"en": "Does the client wait for something before connect()? Take the address from constants or arguments.",
                               "ru": "Не ждёт ли клиент чего-то перед connect()? Берите адрес из констант или аргументов."},
    "fail.client.no_nickname": {"en": "the nickname {name} typed by the user never reached the server",
                                "ru": "никнейм {name}, введённый пользователем, не дошёл до сервера"},
    "hint.client.no_nickname": {"en": "Send the nickname right after connecting, or when the server asks for it.",
                                "ru": "Отправьте никнейм сразу после подключения или когда сервер его попросит."},
    "fail.client.no_send": {"en": "a line the user typed never reached the server",
                            "ru": "строка, набранная пользователем, не дошла до сервера"},
    "hint.client.no_send": {"en": "Read the keyboard in a loop (input()) and sendall() each line, encoded as UTF-8.",
                            "ru": "Читайте клавиатуру в цикле (input()) и отправляйте каждую строку через sendall() в UTF-8."},
    "fail.client.no_receive": {"en": "a message from the server was not printed within {seconds} s while the user was idle",
                               "ru": "сообщение от сервера не напечаталось за {seconds} с, пока пользователь ничего не вводил"},
    "hint.client.no_receive": {"en": "Receive in its own thread: input() blocks the main thread, so recv() must run elsewhere.",
                               "ru": "Принимайте в отдельном потоке: input() блокирует главный поток, поэтому recv() должен работать в другом."},
    "fail.client.traceback": {"en": "the client printed a traceback when the chat ended",
                              "ru": "при завершении чата клиент напечатал traceback"},
    "fail.client.hangs": {"en": "the client kept running after the server went away, /quit and the end of input",
                          "ru": "клиент продолжал работать после исчезновения сервера, /quit и конца ввода"},
    "hint.client.exit": {"en": "When recv() returns b'' or raises, tell the user and end the program (daemon threads, or a flag the input loop checks).",
                         "ru": "Когда recv() возвращает b'' или бросает исключение, сообщите пользователю и завершите программу (потоки-демоны или флаг, который проверяет цикл ввода)."},
    # --- variants -------------------------------------------------------------------
    "variant.tcp-multi": {"en": "multi-user chat over TCP: up to 100%", "ru": "многопользовательский чат на TCP: до 100%"},
    "variant.udp-multi": {"en": "multi-user chat over UDP: up to 80%", "ru": "многопользовательский чат на UDP: до 80%"},
    "variant.tcp-two-user": {"en": "two-user chat over TCP: up to 60%", "ru": "чат на двоих по TCP: до 60%"},
    "variant.udp-two-user": {"en": "two-user chat over UDP: up to 50%", "ru": "чат на двоих по UDP: до 50%"},
    "variant.unknown": {"en": "not recognised as a chat", "ru": "не распознано как чат"},
    # --- submission errors ----------------------------------------------------------
    "error.not_a_folder": {"en": "{path} is not a folder", "ru": "{path} — не папка"},
    "error.no_python": {"en": "no Python files in the submission (found: {found})",
                        "ru": "в работе нет файлов Python (найдено: {found})"},
    "error.no_server": {"en": "no server among the Python files ({files})",
                        "ru": "среди файлов Python нет сервера ({files})"},
    "error.binary": {"en": "{file} is not a text file (binary content)",
                     "ru": "{file} — не текстовый файл (двоичное содержимое)"},
    "error.python2": {"en": "{file}, line {line}: this is Python 2 code ({detail}); the lab needs Python 3",
                      "ru": "{file}, строка {line}: это код на Python 2 ({detail}); нужен Python 3"},
    "error.syntax": {"en": "{file}, line {line}: syntax error: {detail}",
                     "ru": "{file}, строка {line}: синтаксическая ошибка: {detail}"},
    # --- the text report ----------------------------------------------------------------
    "ui.title": {"en": "chatlab autograde: {submission}", "ru": "chatlab autograde: {submission}"},
    "ui.files": {"en": "server: {server}   client: {client}", "ru": "сервер: {server}   клиент: {client}"},
    "ui.variant": {"en": "variant: {variant} ({reason})", "ru": "вариант: {variant} ({reason})"},
    "ui.detected": {"en": "detected: {detected}", "ru": "обнаружено: {detected}"},
    "ui.score": {"en": "score: {score} / {max_score}", "ru": "итог: {score} из {max_score}"},
    "ui.threading_penalty": {"en": "threading is not used: score multiplied by {factor}",
                             "ru": "threading не используется: балл умножен на {factor}"},
    "ui.error": {"en": "could not grade: {error}", "ru": "проверить не удалось: {error}"},
    "ui.expected": {"en": "expected", "ru": "ожидалось"},
    "ui.actual": {"en": "received", "ru": "получено"},
    "ui.hint": {"en": "hint", "ru": "подсказка"},
    "ui.server_said": {"en": "server output", "ru": "вывод сервера"},
    "ui.transcript": {"en": "what happened", "ru": "что происходило"},
    "ui.status.passed": {"en": "passed", "ru": "пройдена"},
    "ui.status.failed": {"en": "failed", "ru": "не пройдена"},
    "ui.status.skipped": {"en": "skipped", "ru": "пропущена"},
    "ui.status.error": {"en": "error", "ru": "ошибка"},
    "ui.none": {"en": "none", "ru": "нет"},
    "ui.duration": {"en": "graded in {seconds} s", "ru": "проверено за {seconds} с"},
    "ui.not_a_grade": {"en": "This is what the public checks say; your instructor's grade may differ.",
                       "ru": "Это результат открытых проверок; итоговую оценку ставит преподаватель."},
}


def translate(key: str, lang: str, params: Optional[Dict[str, Any]] = None) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["en"]
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return template


def default_language() -> str:
    """Russian if the user's locale is Russian, else English."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "")
        if value:
            return "ru" if value.lower().startswith("ru") else "en"
    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    return "ru" if name.lower().startswith("ru") else "en"
