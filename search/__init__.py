"""The search engine side: text analysis, the backend-neutral query, the backends, the outbox and `flask search`.

It knows documents, not homes, and imports no domain package: the domain registers its documents at app start
(search/sources.py).
"""


def init_app(app):
    """Watch writes for the outbox and add `flask search`."""
    from search import outbox
    from search.cli import search_cli

    outbox.init_app(app)
    app.cli.add_command(search_cli)
