"""The provider portal: who may see and change what, fees and price changes, free beds, history, dashboard.

Helpers at the top are shared with test_regulator.py and test_photos.py."""

import io
import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core import time
from core.db import utcnow
from core.extensions import db
from marketplace.models import FeeItem, Home, HomeClaim, ListingChange, Vacancy
from tests.factories import login_as, make_home, make_provider, make_user, make_verified_provider

CSRF_RE = re.compile(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"')


def csrf_from(client, url):
    """Return the CSRF token of the first form on the page at URL (as a browser would read it)."""
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


def sent_to_sign_in(response):
    """Say whether an anonymous request was refused: the login page (pages), or a plain 401."""
    if response.status_code == 302:
        return "/account/login" in response.headers["Location"]
    return response.status_code == 401


def anonymous_token(client, family):
    """Return a CSRF token for CLIENT's session, then sign the session out (an anonymous visitor's form)."""
    login_as(client, family)
    token = csrf_from(client, "/portal/register")
    with client.session_transaction() as session:
        session.pop("_user_id", None)
    return token


def build_world():
    """Two verified operators with a home each (Suzhou, Hangzhou), an unverified one, and their users."""
    op_a, op_b = make_verified_provider("苏州甲运营"), make_verified_provider("杭州乙运营")
    op_c = make_provider("未验证丙")
    home_a = make_home("320508", provider_id=op_a.id, licence_no="JS-0001")
    home_b = make_home("330106", provider_id=op_b.id, licence_no="ZJ-0001")
    home_c = make_home("320506", provider_id=op_c.id, licence_no="JS-0002")
    orphan = make_home("320505", licence_no="JS-0003")
    db.session.commit()
    return SimpleNamespace(
        op_a=op_a, op_b=op_b, op_c=op_c, home_a=home_a, home_b=home_b, home_c=home_c, orphan=orphan,
        staff_a=make_user("provider", provider=op_a), staff_b=make_user("provider", provider=op_b),
        staff_c=make_user("provider", provider=op_c), family=make_user("family"),
        reg_js=make_user("regulator", jurisdiction="320000"), reg_sz=make_user("regulator", jurisdiction="320500"),
        reg_zj=make_user("regulator", jurisdiction="330000"), admin=make_user("admin"))


def snapshot(home_id):
    """Return what a refused request must leave alone: fees, vacancies, change log, claims."""
    db.session.expire_all()
    return (
        db.session.execute(sa.select(FeeItem.care_level, FeeItem.kind, FeeItem.effective_from, FeeItem.amount_fen)
                           .where(FeeItem.home_id == home_id).order_by(FeeItem.id)).all(),
        db.session.execute(sa.select(Vacancy.care_level, Vacancy.beds_free, Vacancy.confirmed_at)
                           .where(Vacancy.home_id == home_id).order_by(Vacancy.id)).all(),
        db.session.scalar(sa.select(sa.func.count()).select_from(ListingChange)
                          .where(ListingChange.home_id == home_id)),
        db.session.execute(sa.select(HomeClaim.id, HomeClaim.status).order_by(HomeClaim.id)).all(),
    )


def png_bytes(size=(40, 30), color=(200, 30, 30), **save):
    """Return a small PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg_with_exif(size=(64, 48)):
    """Return a JPEG carrying EXIF with a camera model and GPS position."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x8825] = {1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 37.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


# --- tests -------------------------------------------------------------------------------------------



@pytest.fixture(autouse=True)
def _photo_dir(app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path / "photos")


@pytest.fixture
def world(app):
    return build_world()


def indexed(home):
    """Return HOME's document in the search index after draining the outbox."""
    from search.backend import current_backend
    from search.outbox import drain
    from search.query import SearchQuery

    drain(current_backend())
    result = current_backend().search(SearchQuery(district=home.district_code, per_page=100, with_facets=False))
    return next(h.doc for h in result.hits if h.id == home.id)


PAGES = ("", "/listing", "/fees", "/vacancies", "/history", "/photos")


def _fee_form(token, level="full", **values):
    data = {f"{level}-csrf_token": token, f"{level}-effective_from": time.today().isoformat()}
    data.update({f"{level}-{k}": v for k, v in values.items()})
    return data


def _posts(world, token):
    """Every portal write against home A, with valid data: (url, form data)."""
    home = world.home_a.id
    return [
        (f"/portal/homes/{home}/listing", {"csrf_token": token, "description": "新介绍", "services": ["nursing"]}),
        (f"/portal/homes/{home}/fees/full", _fee_form(token, bed="2500")),
        (f"/portal/homes/{home}/vacancies", {"beds-csrf_token": token, "beds-full": "9"}),
        (f"/portal/homes/{home}/vacancies/confirm", {"confirm-csrf_token": token}),
        (f"/portal/homes/{home}/photos", {"csrf_token": token, "photo": (io.BytesIO(png_bytes()), "a.png")}),
    ]


# --- operator sign-up and claims ---------------------------------------------------------------------


def test_family_user_registers_an_operator_and_claims_a_home(client, world):
    login_as(client, world.family)
    token = csrf_from(client, "/portal/register")
    response = client.post("/portal/register", data={"csrf_token": token, "name": "新运营方有限公司"})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.family.role == "provider" and world.family.provider.name == "新运营方有限公司"
    assert world.family.provider.verified_at is None
    response = client.post("/portal/claims", data={"csrf_token": token, "licence_no": " JS-0003 "})
    assert response.status_code == 302
    claim = db.session.scalar(sa.select(HomeClaim))
    assert (claim.home_id, claim.provider_id, claim.status) == (world.orphan.id, world.family.provider_id, "pending")
    page = client.get("/portal/claims").get_data(as_text=True)
    assert "JS-0003" in page and 'data-status="pending"' in page


def test_unknown_filing_number_is_a_form_error(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, "/portal/claims")
    response = client.post("/portal/claims", data={"csrf_token": token, "licence_no": "NOPE-404"})
    assert response.status_code == 400
    assert 'id="licence_no-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HomeClaim)) == 0


def test_registration_needs_a_signed_in_family_user(client, world):
    assert sent_to_sign_in(client.get("/portal/register"))
    login_as(client, world.reg_js)
    assert client.get("/portal/register").status_code == 403
    login_as(client, world.staff_a)
    assert client.get("/portal/register").status_code == 302


def test_an_empty_operator_name_is_a_form_error(client, world):
    login_as(client, world.family)
    token = csrf_from(client, "/portal/register")
    response = client.post("/portal/register", data={"csrf_token": token, "name": " "})
    assert response.status_code == 400
    db.session.expire_all()
    assert world.family.role == "family"


# --- who may see and change a home -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", PAGES)
def test_portal_pages_answer_by_role(client, world, suffix):
    url = f"/portal/homes/{world.home_a.id}{suffix}"
    assert sent_to_sign_in(client.get(url))
    for user, status in ((world.staff_a, 200), (world.admin, 200), (world.staff_c, 403), (world.staff_b, 403),
                         (world.family, 403), (world.reg_js, 403), (world.reg_zj, 403)):
        login_as(client, user)
        assert client.get(url).status_code == status, (user.role, user.email)


def test_unknown_home_is_404(client, world):
    login_as(client, world.staff_a)
    assert client.get("/portal/homes/99999/fees").status_code == 404


def test_dashboard_lists_only_the_operators_own_homes(client, world):
    login_as(client, world.staff_a)
    page = client.get("/portal/").get_data(as_text=True)
    assert world.home_a.name in page and world.home_b.name not in page and world.home_c.name not in page
    login_as(client, world.family)
    assert client.get("/portal/").status_code == 302  # to operator registration
    login_as(client, world.reg_js)
    assert client.get("/portal/").status_code == 403


@pytest.mark.parametrize("index", range(5))
def test_writes_to_another_operators_home_are_refused_and_change_nothing(client, world, index):
    login_as(client, world.staff_b)
    token = csrf_from(client, f"/portal/homes/{world.home_b.id}/listing")
    before = snapshot(world.home_a.id)
    for user, status in ((world.staff_b, 403), (world.family, 403), (world.reg_js, 403), (world.reg_zj, 403)):
        login_as(client, user)
        url, data = _posts(world, token)[index]
        assert client.post(url, data=data).status_code == status, (url, user.role)
    with client.session_transaction() as session:
        session.pop("_user_id")
    url, data = _posts(world, token)[index]
    assert sent_to_sign_in(client.post(url, data=data))
    assert snapshot(world.home_a.id) == before
    assert db.session.scalar(sa.select(Home.description).where(Home.id == world.home_a.id)) != "新介绍"


@pytest.mark.parametrize("index", range(5))
def test_the_provider_of_the_home_may_make_each_change(client, world, index):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/listing")
    url, data = _posts(world, token)[index]
    before = snapshot(world.home_a.id)
    assert client.post(url, data=data).status_code == 302
    after = snapshot(world.home_a.id)
    if url.endswith("/vacancies/confirm"):  # a bare re-confirmation renews the times and is no history
        assert after[2] == 0 and after[1] != before[1]
    else:
        assert after[2] == 1  # one ListingChange


def test_an_unverified_operator_sees_its_home_but_cannot_change_it(client, world):
    login_as(client, world.staff_c)
    page = client.get(f"/portal/homes/{world.home_c.id}/fees")
    assert page.status_code == 200 and 'id="unverified-notice"' in page.get_data(as_text=True)
    token = csrf_from(client, f"/portal/homes/{world.home_c.id}/listing")
    before = snapshot(world.home_c.id)
    response = client.post(f"/portal/homes/{world.home_c.id}/fees/full?lang=en", data=_fee_form(token, bed="2500"))
    assert response.status_code == 403
    assert "Your operator has not been verified by a regulator yet." in response.get_data(as_text=True)
    response = client.post(f"/portal/homes/{world.home_c.id}/fees/full", data=_fee_form(token, bed="2500"))
    assert response.status_code == 403 and "您的运营方尚未通过监管部门验证" in response.get_data(as_text=True)
    response = client.post(f"/portal/homes/{world.home_c.id}/vacancies/confirm", data={"confirm-csrf_token": token})
    assert response.status_code == 403
    assert snapshot(world.home_c.id) == before


def test_a_post_without_a_csrf_token_is_refused(client, world):
    login_as(client, world.staff_a)
    before = snapshot(world.home_a.id)
    response = client.post(f"/portal/homes/{world.home_a.id}/vacancies/confirm", data={})
    assert response.status_code == 400
    assert snapshot(world.home_a.id) == before


# --- listing -----------------------------------------------------------------------------------------


def test_provider_edits_the_listing_and_the_change_is_recorded(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/listing")
    response = client.post(f"/portal/homes/{world.home_a.id}/listing", data={
        "csrf_token": token, "name_en": "Gusu Garden", "description": "临河花园",
        "description_en": "A riverside garden", "services": ["nursing", "tcm"], "included": ["laundry"],
        "phone": "0512-1234", "website": "https://gusu.example.cn", "visiting_hours": "09:00–17:00"})
    assert response.status_code == 302
    db.session.expire_all()
    home = db.session.get(Home, world.home_a.id)
    assert (home.name_en, home.services, home.included, home.website) == (
        "Gusu Garden", ["nursing", "tcm"], ["laundry"], "https://gusu.example.cn")
    change = db.session.scalar(sa.select(ListingChange).where(ListingChange.home_id == home.id))
    assert change.user_id == world.staff_a.id and change.channel == "portal"
    assert change.changes["name_en"][1] == "Gusu Garden"
    assert indexed(home)["name_en"] == "Gusu Garden"


def test_an_unknown_service_is_a_form_error(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/listing")
    before = snapshot(world.home_a.id)
    response = client.post(f"/portal/homes/{world.home_a.id}/listing",
                           data={"csrf_token": token, "services": ["teleportation"]})
    assert response.status_code == 400
    assert 'id="services-error"' in response.get_data(as_text=True)
    assert snapshot(world.home_a.id) == before


# --- fees --------------------------------------------------------------------------------------------


def test_yuan_in_the_form_become_integer_fen(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    response = client.post(f"/portal/homes/{world.home_a.id}/fees/full",
                           data=_fee_form(token, bed="2345.67", care="3000"))
    assert response.status_code == 302
    db.session.expire_all()
    fees = db.session.get(Home, world.home_a.id).current_fees()["full"]
    assert fees["bed"].amount_fen == 234567 and fees["care"].amount_fen == 300000
    assert fees["bed"].source == "provider portal"


def test_a_future_price_change_is_announced_and_becomes_the_price_on_its_date(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    on = time.today() + timedelta(days=10)
    data = _fee_form(token, bed="3000")
    data["full-effective_from"] = on.isoformat()
    assert client.post(f"/portal/homes/{world.home_a.id}/fees/full", data=data).status_code == 302
    db.session.expire_all()
    home = db.session.get(Home, world.home_a.id)
    assert home.monthly_price_for("full") == (2200 + 2800 + 900) * 100  # today: unchanged
    assert home.monthly_price_for("full", on=on - timedelta(days=1)) == (2200 + 2800 + 900) * 100
    assert home.monthly_price_for("full", on=on) == (3000 + 2800 + 900) * 100  # from its date: the new price
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert 'id="price-change-notice"' in page and "¥3,000" in page
    assert 'id="price-history"' in page
    portal_page = client.get(f"/portal/homes/{home.id}/fees").get_data(as_text=True)
    assert 'id="upcoming-changes"' in portal_page


def test_a_deposit_over_12_months_of_the_bed_fee_is_a_form_error(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    before = snapshot(world.home_a.id)
    response = client.post(f"/portal/homes/{world.home_a.id}/fees/full",
                           data=_fee_form(token, bed="2000", deposit="24000.01"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="full-deposit-error"' in page and 'id="error-summary"' in page
    assert snapshot(world.home_a.id) == before
    ok = client.post(f"/portal/homes/{world.home_a.id}/fees/full", data=_fee_form(token, bed="2000", deposit="24000"))
    assert ok.status_code == 302


def test_a_price_change_in_the_past_is_refused(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    before = snapshot(world.home_a.id)
    data = _fee_form(token, bed="2500")
    data["full-effective_from"] = (time.today() - timedelta(days=1)).isoformat()
    response = client.post(f"/portal/homes/{world.home_a.id}/fees/full", data=data)
    assert response.status_code == 400 and 'id="full-effective_from-error"' in response.get_data(as_text=True)
    assert snapshot(world.home_a.id) == before


@pytest.mark.parametrize("bad", ["-1", "abc", "12.345", "100000.01"])
def test_a_bad_amount_is_a_form_error(client, world, bad):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    before = snapshot(world.home_a.id)
    response = client.post(f"/portal/homes/{world.home_a.id}/fees/full", data=_fee_form(token, bed=bad))
    assert response.status_code == 400 and 'id="full-bed-error"' in response.get_data(as_text=True)
    assert snapshot(world.home_a.id) == before


def test_an_unknown_care_level_is_404(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    response = client.post(f"/portal/homes/{world.home_a.id}/fees/luxury", data=_fee_form(token, "luxury", bed="1"))
    assert response.status_code == 404


def test_a_new_price_reaches_the_search_index(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    client.post(f"/portal/homes/{world.home_a.id}/fees/full", data=_fee_form(token, bed="2500"))
    assert indexed(world.home_a)["price_full"] == (2500 + 2800 + 900) * 100


# --- vacancies ---------------------------------------------------------------------------------------


def test_confirming_free_beds_keeps_the_numbers_and_updates_confirmed_at_and_the_index(client, world):
    home = world.home_a
    old_doc = indexed(home)
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{home.id}/vacancies")
    before = {v.care_level: (v.beds_free, v.confirmed_at) for v in home.vacancies}
    started = utcnow()
    response = client.post(f"/portal/homes/{home.id}/vacancies/confirm", data={"confirm-csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    after = {v.care_level: (v.beds_free, v.confirmed_at) for v in db.session.get(Home, home.id).vacancies}
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert all(v[1] >= started for v in after.values())
    doc = indexed(home)
    assert datetime.fromisoformat(doc["vacancy_confirmed_at"]) >= started
    assert datetime.fromisoformat(doc["vacancy_confirmed_at"]) > datetime.fromisoformat(old_doc["vacancy_confirmed_at"])


def test_changing_free_beds_confirms_them_and_reaches_the_index(client, world):
    home = world.home_a
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{home.id}/vacancies")
    response = client.post(f"/portal/homes/{home.id}/vacancies", data={"beds-csrf_token": token, "beds-full": "0",
                                                                       "beds-dementia": "3"})
    assert response.status_code == 302
    doc = indexed(home)
    assert (doc["free_full"], doc["free_dementia"], doc["free_self_care"]) == (0, 3, 5)


@pytest.mark.parametrize("bad", ["-2", "lots", "5001"])
def test_bad_free_beds_are_a_form_error(client, world, bad):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/vacancies")
    before = snapshot(world.home_a.id)
    response = client.post(f"/portal/homes/{world.home_a.id}/vacancies", data={"beds-csrf_token": token,
                                                                                "beds-full": bad})
    assert response.status_code == 400 and 'id="beds-full-error"' in response.get_data(as_text=True)
    assert snapshot(world.home_a.id) == before


def test_a_stale_confirmation_is_flagged_in_the_portal(client, app):
    op = make_verified_provider()
    home = make_home("320508", provider_id=op.id, confirmed_days_ago=30)
    login_as(client, make_user("provider", provider=op))
    page = client.get(f"/portal/homes/{home.id}/vacancies").get_data(as_text=True)
    assert "badge stale" in page


# --- history and dashboard ---------------------------------------------------------------------------


def test_history_shows_who_when_through_what_and_what_changed(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    client.post(f"/portal/homes/{world.home_a.id}/fees/full", data=_fee_form(token, bed="2600"))
    page = client.get(f"/portal/homes/{world.home_a.id}/history").get_data(as_text=True)
    assert world.staff_a.display_name in page
    assert f"full.bed@{time.today().isoformat()}</code>: — → 260000" in page  # a new row from today
    assert 'id="fee-items"' in page and "¥2,600" in page


def test_public_page_views_are_counted_per_day_and_shown_per_month(client, world):
    for _i in range(3):
        assert client.get(f"/homes/{world.home_a.id}").status_code == 200
    client.get(f"/homes/{world.home_b.id}")
    from marketplace.portal_models import HomeView

    row = db.session.scalar(sa.select(HomeView).where(HomeView.home_id == world.home_a.id))
    assert (row.day, row.views) == (time.today(), 3)
    login_as(client, world.staff_a)
    page = client.get(f"/portal/homes/{world.home_a.id}").get_data(as_text=True)
    month = time.today().strftime("%Y-%m")
    assert f'<tr data-month="{month}"><th scope="row">{month}</th><td class="num views">3</td>' in page


def test_dashboard_shows_the_monthly_rating_of_published_reviews(client, world):
    from marketplace.portal import home_stats
    from reviews.models import Review

    now = utcnow()
    for overall, status in ((5, "published"), (4, "published"), (1, "rejected")):
        db.session.add(Review(home_id=world.home_a.id, relationship="child", period_start=date(2024, 1, 1),
                              period_end=date(2024, 6, 1), overall=overall, status=status,
                              published_at=now if status == "published" else None))
    db.session.commit()
    from inquiries import services as inquiry_services

    for kind, extra in (("inquiry", {}), ("visit", {"visit_date": time.today() + timedelta(days=5),
                                                    "time_slot": "morning"})):
        inquiry_services.send_inquiry(world.family, world.home_a, kind=kind, contact_name="王",
                                      contact_phone="13800138000", contact_consent=True, body=f"想了解{kind}", **extra)
    this_month = home_stats(world.home_a.id)[0]
    assert (this_month["reviews"], this_month["rating"]) == (2, 4.5)
    assert (this_month["inquiries"], this_month["visits"]) == (1, 1)
    assert len(home_stats(world.home_a.id)) == 12
