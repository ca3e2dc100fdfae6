"""How fresh a home's free-bed figures are. Each care level is confirmed on its own; the home as a whole is
as fresh as the oldest confirmation among the levels it offers (a level with a monthly price in effect; a home
without any price: the levels it gave free beds for). A level it no longer offers cannot make it stale.

The dashboard's SQL (dashboard/queries.py) states the same rule; a test holds the two equal.
"""

from marketplace import pricing


def offered_levels(fee_items, vacancies, on=None):
    """Return the care levels a home offers ON a date: priced ones, or (none priced) those with free beds."""
    priced = set(pricing.monthly_prices(fee_items, on))
    return priced or {v.care_level for v in vacancies}


def confirmed_at(fee_items, vacancies, on=None):
    """Return the oldest confirmation among the offered levels' free beds, or None if none was confirmed."""
    offered = offered_levels(fee_items, vacancies, on)
    return min((v.confirmed_at for v in vacancies if v.care_level in offered), default=None)


def confirmed_by_level(vacancies):
    """Return {care level: when its free beds were last confirmed}."""
    return {v.care_level: v.confirmed_at for v in vacancies}


def confirmed_field(care_level):
    """Return the search-document field holding CARE_LEVEL's confirmation time."""
    return f"confirmed_{care_level}"
