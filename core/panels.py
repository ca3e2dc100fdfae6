"""Panels: one package's page shows sections that other packages provide, through a registry it iterates.

A page names its slots ("home.after_fees", "compare.after_table", ...); a package adds a panel to a slot in its
init_app with `register(app, slot, template, data)`. The page renders every panel of a slot, in order, with
`{% for p in panels("home.after_fees", home) %}{% with panel = p.data %}{% include p.template %}{% endwith %}
{% endfor %}`: DATA(subject) gives the panel's `panel` value. The import is visible in the package that
registers, and the page shows where panels go, so no hook is hidden.
"""

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Panel:
    slot: str
    template: str
    data: object = None  # (subject) -> the value the template reads as `panel`; None: the subject itself
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    data: object


def register(app, slot, template, data=None, order=100):
    """Add TEMPLATE to SLOT of APP's pages, DATA(subject) giving its `panel` value; lower ORDER comes first."""
    app.extensions.setdefault("panels", []).append(Panel(slot, template, data, order))


def registered(slot):
    """Return the panels registered for SLOT in the current app, in order."""
    return sorted((p for p in current_app.extensions.get("panels", ()) if p.slot == slot), key=lambda p: p.order)


def panels_for(slot, subject=None):
    """Return SLOT's panels with their data computed for SUBJECT (what the page iterates)."""
    return [RenderedPanel(p.template, p.data(subject) if p.data else subject) for p in registered(slot)]
