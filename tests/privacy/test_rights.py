"""A person's rights end to end: consent recorded and asked again, sensitive data only with its own consent,
export of everything, deletion that keeps published reviews unlinked, retention with the test clock."""

from datetime import timedelta

import sqlalchemy as sa

from accounts import consents
from accounts.models import User
from core import time as clock
from core.extensions import db
from inquiries import services as inquiries
from inquiries.models import Inquiry, InquiryMessage
from privacy import services
from privacy.models import DataRequest
from privacy.registry import PERSONAL_COLUMNS, user_references
from tests.accounts.helpers import csrf_token, sign_up
from tests.factories import login_as, make_home, make_user


def test_every_column_that_points_at_a_person_is_covered_by_export_and_deletion(app):
    found = user_references(db.metadata)
    assert found - set(PERSONAL_COLUMNS) == set(), "add these to privacy/registry.py"
    assert set(PERSONAL_COLUMNS) - found == set(), "registry.py names columns that no longer exist"


def test_sign_up_records_consent_to_the_current_notice_with_its_version_and_time(app, client):
    from accounts.senders import current_sender
    from tests.accounts.helpers import finish_sign_up

    app.config["PASSWORD_RESET_SENDER"] = "accounts.senders.CollectingSender"
    assert sign_up(client, "new.user@example.cn").status_code == 200  # the link goes to the address
    assert finish_sign_up(client, current_sender().sent).status_code in (302, 303)
    user = db.session.scalar(sa.select(User).where(User.email == "new.user@example.cn"))
    consent = consents.current(user.id, "notice")
    assert consent.version == consents.NOTICE_VERSION and consent.granted_at <= clock.utcnow()


def test_sign_up_without_agreeing_is_a_form_error_and_creates_nothing(client):
    response = sign_up(client, "no.consent@example.cn", extra={"accept_privacy": ""})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(User).where(User.email == "no.consent@example.cn")) is None


def test_a_changed_notice_asks_again_before_any_page(app, client, monkeypatch):
    user = make_user()
    login_as(client, user)
    assert client.get("/account/inquiries").status_code == 200
    monkeypatch.setattr(consents, "NOTICE_VERSION", "2027-01-01")
    response = client.get("/account/inquiries")
    assert response.status_code == 302 and "/privacy/consent" in response.headers["Location"]
    page = client.get("/privacy/consent?next=/account/inquiries").get_data(as_text=True)
    assert "2027-01-01" in page
    agreed = client.post("/privacy/consent", data={"agree": "yes", "next": "/account/inquiries",
                                                   "csrf_token": csrf_token(client, "/privacy/consent")})
    assert agreed.status_code == 302 and agreed.headers["Location"].endswith("/account/inquiries")
    assert consents.current(user.id, "notice").version == "2027-01-01"
    assert client.get("/api/v1/homes").status_code == 200  # the API is never redirected


def _inquire(client, home, care_consent, body="想参观"):
    data = {"kind": "visit", "visit_date": (clock.today() + timedelta(days=5)).isoformat(), "time_slot": "morning",
            "care_level": "dementia", "contact_name": "李娜", "contact_phone": "13912345678",
            "contact_consent": "y", "body": body}
    if care_consent:
        data["care_consent"] = "y"
    url = f"/homes/{home.id}/inquire"
    data["csrf_token"] = csrf_token(client, url + "?kind=visit")
    return client.post(url, data=data)


def test_a_care_level_is_stored_only_with_its_own_consent_and_refusing_loses_nothing_else(app, client):
    home, family = make_home(), make_user("family")
    login_as(client, family)
    assert _inquire(client, home, care_consent=False).status_code == 302
    first = db.session.scalars(sa.select(Inquiry)).one()
    assert first.care_level is None and first.contact_name == "李娜"
    assert consents.current(family.id, "sensitive") is None
    assert _inquire(client, home, care_consent=True, body="想带母亲参观认知症专区").status_code == 302
    second = db.session.scalars(sa.select(Inquiry).order_by(Inquiry.id.desc())).first()
    assert second.care_level == "dementia" and consents.current(family.id, "sensitive") is not None


def _family_with_history():
    home, family = make_home(), make_user("family", mobile="+8613912345678")
    inquiry = inquiries.send_inquiry(family, home, kind="inquiry", contact_name="李娜", contact_phone="13912345678",
                                     contact_consent=True, body="请问有床位吗", care_level="full")
    return home, family, inquiry


def test_the_export_holds_the_account_and_every_row_that_names_the_person(app, client):
    home, family, inquiry = _family_with_history()
    login_as(client, family)
    response = client.get("/account/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["email"] == family.email and "password_hash" not in data["account"]
    assert data["tables"]["inquiries"][0]["reference"] == inquiry.reference
    assert data["tables"]["inquiry_messages"][0]["body"] == "请问有床位吗"
    assert "privacy_consents (as user_id)" in data["tables"]
    page = client.get("/account/data").get_data(as_text=True)
    assert inquiry.reference in page
    assert db.session.scalar(sa.select(sa.func.count(DataRequest.id)).where(DataRequest.kind == "export")) == 2


def test_deleting_the_account_removes_personal_data_and_keeps_a_published_review_unlinked(app, client):
    from tests.reviews.test_engagement_fixtures import make_review

    home, family, inquiry = _family_with_history()
    review = make_review(home, author=family, status="published")
    login_as(client, family)
    token = csrf_token(client, "/account/delete")
    assert client.post("/account/delete", data={"csrf_token": token, "confirm": "wrong"}).status_code == 400
    response = client.post("/account/delete", data={"csrf_token": token, "confirm": "删除"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, family.id)
    assert (user.email, user.mobile, user.display_name, user.password_hash, user.active) == (None, None, "", None,
                                                                                           False)
    gone = db.session.get(Inquiry, inquiry.id)
    assert (gone.contact_name, gone.contact_phone, gone.care_level) == ("", "", None)
    assert all(m.body == "" for m in db.session.scalars(sa.select(InquiryMessage)))
    kept = db.session.get(type(review), review.id)
    assert kept.status == "published" and kept.author_id is None
    assert db.session.scalar(sa.select(DataRequest).where(DataRequest.kind == "delete")).subject_id == family.id
    assert client.get("/account/data").status_code == 302  # signed out


def test_the_retention_job_anonymises_old_inquiries_with_the_test_clock(app):
    home, family, inquiry = _family_with_history()
    with clock.frozen(clock.utcnow() + timedelta(days=729)):
        assert services.apply_retention()["inquiries"] == 0
    with clock.frozen(clock.utcnow() + timedelta(days=731)):
        assert services.apply_retention()["inquiries"] == 1
    db.session.expire_all()
    assert db.session.get(Inquiry, inquiry.id).contact_phone == ""
    assert db.session.get(Inquiry, inquiry.id).status == "closed"


def test_a_regulator_sees_a_reviewers_contact_only_with_a_reason_and_it_is_recorded(app, client):
    from tests.reviews.test_engagement_fixtures import make_review

    home = make_home("320508")
    family = make_user("family", email="reviewer@example.cn")
    review = make_review(home, author=family, status="published")
    regulator, outsider = make_user("regulator", jurisdiction="320000"), make_user("regulator", jurisdiction="330000")
    login_as(client, outsider)
    assert client.get(f"/regulator/reviews/{review.id}/reveal").status_code == 403
    login_as(client, regulator)
    url = f"/regulator/reviews/{review.id}/reveal"
    page = client.get(url).get_data(as_text=True)
    assert "reviewer@example.cn" not in page
    token = csrf_token(client, url)
    short = client.post(url, data={"csrf_token": token, "reason": "看看"})
    assert short.status_code == 400 and "reviewer@example.cn" not in short.get_data(as_text=True)
    shown = client.post(url, data={"csrf_token": token, "reason": "投诉核实：机构称评价人并非住户家属"})
    assert shown.status_code == 200 and "reviewer@example.cn" in shown.get_data(as_text=True)
    record = db.session.scalar(sa.select(DataRequest).where(DataRequest.kind == "reveal"))
    assert (record.actor_id, record.subject_id, record.target) == (regulator.id, family.id, f"review:{review.id}")
    assert "投诉核实" in record.reason


def test_exports_carry_no_personal_information(app, client):
    import re

    home, family, inquiry = _family_with_history()
    admin = make_user("admin", email="boss@example.cn")
    login_as(client, admin)
    exports = [rule.rule for rule in app.url_map.iter_rules()
               if rule.rule.endswith((".csv", ".json")) and "<" not in rule.rule
               and rule.rule.startswith(("/open-data", "/dashboard", "/regulator/dashboard"))]
    assert exports, "no export routes found"
    leak = re.compile(r"(?<!\\d)1[3-9]\\d{9}(?!\\d)|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\\.[A-Za-z]{2,}|李娜")
    for path in exports:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert not leak.search(response.get_data(as_text=True)), path
