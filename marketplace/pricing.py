"""The price rules, in one place, over any fee-item rows (ORM objects or Core rows with the same columns).

A fee item is in effect from its `effective_from` until a later item of the same care level and kind takes
over; the all-in monthly price of a care level is bed + care + meals, and exists only when a bed fee does.
Optional extras (EXTRA_KINDS) and the one-off deposit are never part of it.
"""


from core import time

MONTHLY_FEE_KINDS = ("bed", "care", "meals")
# Optional monthly extras (a family chooses them; the cost estimator adds the chosen ones). They are never part
# of the all-in monthly price that search filters and sorts on.
PREPAYMENT_MONTHS_LIMIT = 12  # 2024 national rule: at most 12 months paid in advance (over it: recorded, flagged)
EXTRA_KINDS = ("extra_single_room", "extra_incontinence", "extra_rehab", "extra_special_diet", "extra_laundry")


def current_fees(fee_items, on=None):
    """Return {care_level: {kind: item}} of the items in effect ON a date (default today)."""
    on = on or time.today()
    current = {}
    for item in sorted(fee_items, key=lambda i: i.effective_from):  # later ones win
        if item.effective_from <= on:
            current.setdefault(item.care_level, {})[item.kind] = item
    return current


def upcoming_fees(fee_items, on=None):
    """Return the items that take effect after ON (price-change notices)."""
    on = on or time.today()
    return [item for item in fee_items if item.effective_from > on]


def monthly_price(fees):
    """Return bed + care + meals in fen from one level's {kind: item}, or None without a bed fee."""
    if not fees or "bed" not in fees:
        return None
    return sum(fees[k].amount_fen for k in MONTHLY_FEE_KINDS if k in fees)


def monthly_prices(fee_items, on=None):
    """Return {care_level: monthly price in fen} for the levels with a price."""
    prices = {level: monthly_price(fees) for level, fees in current_fees(fee_items, on).items()}
    return {level: price for level, price in prices.items() if price is not None}


def extras(fees):
    """Return {extra kind: monthly fen} of the optional extras in one level's {kind: item}, in vocabulary order."""
    return {k: fees[k].amount_fen for k in EXTRA_KINDS if k in (fees or {})}


def prepayment_over_limit(months):
    """Return whether a prepayment requirement of MONTHS exceeds the 2024 national limit of 12 months."""
    return months is not None and months > PREPAYMENT_MONTHS_LIMIT
