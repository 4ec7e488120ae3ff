"""Flask's signed session cookie, each verified cookie kept for a minute per process.

Every request that carries a session cookie has it verified and decoded afresh by Flask: a new
serializer, key derivation, an HMAC, base64 and tagged JSON. On a plan page served from memory
that was about a sixth of the request (measured in process, see the README's benchmark notes),
for a browser that sends the same cookie again and again.

What is kept is the decoded content of a cookie that passed verification, under that exact
cookie and the secret key: a changed cookie, even by one character, is a different key and is
verified in full. Only plain values are kept (a session holding a list, such as a message to
show once, is always decoded afresh), and each request gets its own copy, so what one request
changes never reaches another. The minute is at most a minute added to the cookie's own life;
the sign-in session itself is checked on the server on every request (auth.load_user).
"""

from __future__ import annotations

import threading

from cachetools import TTLCache
from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

_PLAIN = (str, int, float, bool, type(None))


class KeptSessionCookies(SecureCookieSessionInterface):
    def __init__(self, seconds: int = 60, size: int = 4096) -> None:
        self._verified: TTLCache = TTLCache(maxsize=size, ttl=seconds)
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or not app.secret_key:
            return super().open_session(app, request)
        key = (app.secret_key, cookie)
        with self._lock:
            kept = self._verified.get(key)
        if kept is not None:
            return self.session_class(kept)  # a copy: changes stay in this request
        session = super().open_session(app, request)
        # An empty session is what a cookie that failed verification gives: never kept.
        if session and all(isinstance(value, _PLAIN) for value in session.values()):
            with self._lock:
                self._verified[key] = dict(session)
        return session
