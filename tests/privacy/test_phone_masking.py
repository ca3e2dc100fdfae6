"""Phone numbers are masked (138****5678) on every page and API answer except to their owner; the home's staff see
the family's number whole on an inquiry sent to their home (docs/privacy.md); homes' public phones are shown."""

import pytest

from core.extensions import db
from core.personal import mask_phone
from tests.factories import login_as, make_user
from tests.matrix import ROLES
from tests.reviews.test_engagement_fixtures import make_review
from tests.test_authorization_matrix import MATRIX, World

MOBILES = {"family": "13911110001", "prov_a": "13911110002", "prov_b": "13911110003", "reg_in": "13911110004",
           "reg_out": "13911110005", "admin": "13911110006"}
INQUIRY_PHONE = "13800138000"  # the family's contact number in the world's inquiry to home A
REVIEW_PHONE = "15822223333"  # a number a reviewer wrote in a published review and a report
HOME_PHONE = "0512-66881234"  # home A's published phone: an organisation's, shown as is
PERSONAL = {*MOBILES.values(), INQUIRY_PHONE, REVIEW_PHONE}  # every person's number in the world


def test_mask_phone_keeps_the_first_three_and_last_four_digits():
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("021-12345678") == "021-****5678"
    assert mask_phone("call 13812345678 or 0512-6543210 after 2026-12-06") == \
        "call 138****5678 or 0512-****3210 after 2026-12-06"
    assert mask_phone("+8613812345678", reveal=True) == "+8613812345678"
    assert mask_phone(None) is None and mask_phone("") == ""


def _allowed(role, url):
    """The numbers ROLE may see whole on URL: their own; the family's inquiry number to the family and, on the
    inquiry itself, to the staff of the home it was sent to."""
    allowed = {MOBILES[role]} if role in MOBILES else set()
    if role == "family":
        allowed.add(INQUIRY_PHONE)
    if role == "prov_a" and url.startswith("/inquiries/"):
        allowed.add(INQUIRY_PHONE)
    return allowed


@pytest.fixture
def world(app):
    world = World()
    for role, number in MOBILES.items():
        # an account made without a name is named by its number (accounts.services.create_user)
        world.users[role].mobile = world.users[role].display_name = "+86" + number
    world.home_a.phone = HOME_PHONE
    reviewer = make_user("family", mobile="+86" + REVIEW_PHONE)
    make_review(world.home_a, author=reviewer, text=f"护理员很耐心，饭菜可口。有事打我电话 {REVIEW_PHONE}。")
    db.session.commit()
    return world


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_someone_elses_phone_number_unmasked(app, client, world, role):
    if role != "anon":
        login_as(client, world.users[role])
    leaks, walked = [], 0
    for method, path, statuses in MATRIX:
        if method != "GET" or statuses[role] != 200:
            continue
        url = world.fill(path)
        response = client.get(url)
        db.session.rollback()
        if response.mimetype not in ("text/html", "application/json", "text/csv", "text/plain"):
            continue  # images, QR codes
        body = response.get_data(as_text=True)
        walked += 1
        shown = {n for n in PERSONAL if n in body}
        leaks += [f"{url}: {n}" for n in sorted(shown - _allowed(role, url))]
    assert walked > 5
    assert leaks == [], "\n".join(leaks)


def test_the_owner_and_the_homes_staff_see_the_number_whole_and_others_masked(app, client, world):
    login_as(client, world.users["family"])
    assert MOBILES["family"] in client.get("/account").get_data(as_text=True)
    login_as(client, world.users["prov_a"])
    thread = client.get(f"/inquiries/{world.inquiry.reference}").get_data(as_text=True)
    assert INQUIRY_PHONE in thread
    home_page = client.get(f"/homes/{world.home_a.id}").get_data(as_text=True)
    assert HOME_PHONE in home_page  # a home's public phone is the organisation's
    assert REVIEW_PHONE not in home_page and "158****3333" in home_page
