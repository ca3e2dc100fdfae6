"""The regulator dashboard: figures per city of a jurisdiction, as tables, charts and CSV."""
