"""Rate limits are on writes only, so a read (a search, a page, a static file) skips the limiter altogether
(core/extensions.py): a limit without `methods=["POST"]` would silently never apply to reads, so none may exist."""

from core.extensions import limiter
from tests.accounts.helpers import log_in


def test_every_declared_limit_is_on_a_write_method(app):
    manager = limiter.limit_manager
    declared = [(endpoint, limit) for endpoint, limits in manager._decorated_limits.items() for limit in limits]
    assert len(declared) >= 10  # the sign-up, login, password reset, review and inquiry limits are all seen
    for endpoint, limit in declared:
        assert limit.methods and set(limit.methods) <= {"post", "put", "patch", "delete"}, endpoint
    assert not manager._application_limits and not manager._default_limits and not manager._blueprint_limits


def test_a_write_is_still_limited_and_a_read_never_is(client):
    for _ in range(40):  # the login limit is 10 a minute: a read is never counted
        assert client.get("/account/login").status_code == 200
    statuses = [log_in(client, f"nobody{n}@example.cn", "wrong wrong wrong").status_code for n in range(11)]
    assert statuses == [400] * 10 + [429]
    assert client.get("/account/login").status_code == 200
