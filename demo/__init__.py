"""The demo market generator: homes, operators, fees, free beds, quality records and reviews, all labelled demo.

It depends on every domain package and nothing depends on it (an import-linter contract keeps it so):
market.py (homes and operators), quality_records.py, review_records.py, and the `flask demo` CLI (cli.py).
"""


def init_app(app):
    """Add `flask demo`."""
    from demo.cli import demo_cli

    app.cli.add_command(demo_cli)
