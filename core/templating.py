"""Template filters and layout values every package's pages use: money in yuan, business dates, stars, the page
language, and the panel registry (core/panels.py). Registered on the app by `init_app`.
"""

from datetime import date, datetime
from urllib.parse import urlencode

from flask import current_app, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from core import panels
from core.personal import mask_phone_filter


def _as_datetime(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    return value


def yuan(fen):
    """Format integer fen as yuan: ¥1,234 (¥1,234.50 when there are fen)."""
    if fen is None:
        return "—"
    whole, part = divmod(int(fen), 100)
    return f"¥{whole:,}" if not part else f"¥{whole:,}.{part:02d}"


def local_date(value):
    """Format a date, or a UTC datetime as its date in the business time zone (Asia/Shanghai)."""
    return "—" if not value else format_date(_as_datetime(value), "medium")


def local_datetime(value):
    """Format a UTC datetime in the business time zone (Asia/Shanghai)."""
    value = _as_datetime(value)
    if not value:
        return "—"
    return format_datetime(value, "medium") if isinstance(value, datetime) else format_date(value, "medium")


def stars(grade):
    """Render a 1-5 grade as stars with a text alternative."""
    if not grade:
        return Markup('<span class="grade none">{}</span>').format(_("Not graded"))
    return Markup('<span class="grade" role="img" aria-label="{label}">{stars}</span>').format(
        label=_("%(n)s of 5 stars", n=grade), stars="★" * grade + "☆" * (5 - grade))


def path_without_lang():
    """Return this page's path and query without ?lang= (it would override the cookie being set)."""
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])
    return request.path + (f"?{query}" if query else "")


def _layout_context():
    locale = str(get_locale() or "zh_CN")
    return {
        "html_lang": "en" if locale.startswith("en") else "zh-CN",
        "is_english": locale.startswith("en"),
        "compare_max": current_app.config["COMPARE_MAX"],
        # "map_config" comes from marketplace (maps.py: tile presets, the offline base layer of place names)
        "current_path": path_without_lang(),
        "panels": panels.panels_for,
    }


FILTERS = {"yuan": yuan, "local_date": local_date, "local_datetime": local_datetime, "stars": stars,
           "mask_phone": mask_phone_filter}


def init_app(app):
    """Register the shared filters and the layout values on APP."""
    app.jinja_env.filters.update(FILTERS)
    app.context_processor(_layout_context)
