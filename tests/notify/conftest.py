"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """Start an SMTP server, point the app's mailer at it, yield the list of received messages."""
    handler = _Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_USE_TLS=False, MAIL_USE_SSL=False, PUBLIC_BASE_URL="https://care.example.cn")
    from notify import mail

    mail.init_app(app)
    try:
        yield handler.messages
    finally:
        controller.stop()
