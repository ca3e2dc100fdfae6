"""Users, roles, sign-in (password and OpenID Connect) and the OAuth2 server for provider API clients."""


def init_app(app):
    """Bind sign-in and the OAuth2 server; add the account pages and `flask accounts`."""
    from accounts import auth, consents, models, oauth2, oauth2_models  # noqa: F401  (every table)
    from accounts.cli import accounts_cli
    from accounts.views import bp

    auth.init_app(app)
    oauth2.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(accounts_cli)
