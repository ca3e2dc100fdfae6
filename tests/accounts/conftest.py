"""Account test fixtures: reset links go to a collecting sender instead of the log."""

import pytest

from accounts.senders import current_sender


@pytest.fixture
def sent(app):
    """The list every password reset message lands in."""
    app.config["PASSWORD_RESET_SENDER"] = "accounts.senders.CollectingSender"
    return current_sender().sent
