"""The Flask extensions, created unbound here and bound in app.create_app (Flask-Migrate: core/migrations.py)."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from core.api import Api
from core.db import Model

db = SQLAlchemy(model_class=Model)
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = Api()


@limiter.request_filter
def _reads_are_never_limited():
    """Every limit is on a write (`methods=["POST"]`: tests/core/test_rate_limits.py): a read skips the limiter."""
    return request.method in ("GET", "HEAD", "OPTIONS")
