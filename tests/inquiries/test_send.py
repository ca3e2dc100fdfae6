"""Sending a question or booking a visit: stored fields, reference numbers, every bad input, who may send."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.extensions import db
from inquiries.models import REFERENCE_ALPHABET, Inquiry, InquiryMessage, new_reference
from tests.factories import login_as, make_user
from tests.inquiries.conftest import csrf_token, form_data, reference_in, send, visit_data, visit_date

REFERENCE = re.compile(r"^YRD-\d{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}$")


def _count():
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Inquiry.id))), \
        db.session.scalar(sa.select(sa.func.count(InquiryMessage.id)))


def test_family_sends_a_question_and_sees_its_reference(as_family, world):
    response = send(as_family, world.home.id, form_data())
    assert response.status_code == 302
    page = as_family.get(response.headers["Location"])
    reference = reference_in(page.get_data(as_text=True))
    assert page.status_code == 200 and reference
    inquiry = db.session.scalars(sa.select(Inquiry)).one()
    assert inquiry.reference == reference and REFERENCE.match(reference)
    assert (inquiry.home_id, inquiry.user_id, inquiry.kind, inquiry.status) == (
        world.home.id, world.family.id, "inquiry", "open")
    assert inquiry.care_level == "dementia" and inquiry.contact_name == "王小明"
    assert inquiry.contact_phone == "+8613800138000" and inquiry.contact_consent is True
    assert inquiry.visit_date is None and inquiry.time_slot is None
    assert inquiry.created_at.tzinfo is not None
    [message] = inquiry.messages
    assert (message.author_id, message.author_role) == (world.family.id, "family")
    assert message.body == "请问有认知症照护床位吗？"


def test_family_books_a_visit(as_family, world):
    day = visit_date(10)
    response = send(as_family, world.home.id, visit_data(visit_date=day, time_slot="afternoon", body="",
                                                         contact_phone="", contact_email="Wang@Example.COM"),
                    kind="visit")
    assert response.status_code == 302
    inquiry = db.session.scalars(sa.select(Inquiry)).one()
    assert inquiry.kind == "visit" and inquiry.visit_date.isoformat() == day and inquiry.time_slot == "afternoon"
    assert inquiry.contact_email == "wang@example.com" and inquiry.messages == []
    page = as_family.get(response.headers["Location"]).get_data(as_text=True)
    assert inquiry.reference in page


def test_landline_is_accepted_and_normalised(as_family, world):
    assert send(as_family, world.home.id, form_data(contact_phone="0512 6512 3456")).status_code == 302
    assert db.session.scalars(sa.select(Inquiry)).one().contact_phone == "0512-65123456"


def test_references_are_unique_random_and_unambiguous():
    year = time.today().year
    references = {new_reference(year) for _ in range(5000)}
    # 30^6 codes: among 5,000 draws a collision or two can happen (about 1.7 %), which send_inquiry handles by
    # drawing again; a non-random generator would collide far more often than this
    assert len(references) >= 4990
    assert all(REFERENCE.match(r) for r in references)
    assert not set("01ILOU") & set(REFERENCE_ALPHABET)


def test_several_inquiries_get_different_references(as_family, world):
    send(as_family, world.home.id, form_data(body="问题一"))
    send(as_family, world.other_home.id, form_data(body="问题二"))
    send(as_family, world.home.id, visit_data(), kind="visit")
    references = db.session.scalars(sa.select(Inquiry.reference)).all()
    assert len(references) == 3 == len(set(references))


@pytest.mark.parametrize("changes, field", [
    ({"contact_consent": None}, "contact_consent"),
    ({"contact_consent": "false"}, "contact_consent"),
    ({"contact_name": ""}, "contact_name"),
    ({"contact_name": "   "}, "contact_name"),
    ({"contact_name": "名" * 101}, "contact_name"),
    ({"contact_phone": "", "contact_email": ""}, "contact_phone"),
    ({"contact_phone": "12345"}, "contact_phone"),
    ({"contact_phone": "138001380001"}, "contact_phone"),
    ({"contact_email": "not-an-email"}, "contact_email"),
    ({"care_level": "luxury"}, "care_level"),
    ({"body": ""}, "body"),
    ({"body": "   "}, "body"),
    ({"body": "字" * 2001}, "body"),
    ({"kind": "complaint"}, "kind"),
])
def test_bad_question_input_is_refused_with_400_and_nothing_stored(as_family, world, changes, field):
    response = send(as_family, world.home.id, form_data(**changes))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'href="#{field}"' in html  # in the error summary
    if field != "kind":  # a hidden field has no place on the page for its message
        assert f'id="{field}-error"' in html  # and beside the field
    assert _count() == (0, 0)


@pytest.mark.parametrize("changes, field", [
    ({"visit_date": ""}, "visit_date"),
    ({"visit_date": "2026-02-30"}, "visit_date"),
    ({"visit_date": "tomorrow"}, "visit_date"),
    ({"visit_date": "today"}, "visit_date"),
    ({"visit_date": "past"}, "visit_date"),
    ({"visit_date": "61"}, "visit_date"),
    ({"time_slot": ""}, "time_slot"),
    ({"time_slot": "evening"}, "time_slot"),
    ({"contact_consent": None}, "contact_consent"),
    ({"body": "字" * 2001}, "body"),
])
def test_bad_visit_input_is_refused_with_400_and_nothing_stored(as_family, world, changes, field):
    named = {"today": 0, "past": -3, "61": 61}
    if changes.get("visit_date") in named:
        changes = {"visit_date": (time.today() + timedelta(days=named[changes["visit_date"]])).isoformat()}
    response = send(as_family, world.home.id, visit_data(**changes), kind="visit")
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count() == (0, 0)


@pytest.mark.parametrize("days", [1, 60])
def test_visit_dates_from_tomorrow_to_60_days_ahead_are_accepted(as_family, world, days):
    response = send(as_family, world.home.id, visit_data(visit_date=visit_date(days)), kind="visit")
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Inquiry)).one().visit_date == time.today() + timedelta(days=days)


def test_a_visit_may_carry_a_message(as_family, world):
    send(as_family, world.home.id, visit_data(body="我们会带轮椅来"), kind="visit")
    assert [m.body for m in db.session.scalars(sa.select(Inquiry)).one().messages] == ["我们会带轮椅来"]


def test_honeypot_filled_in_is_refused_and_nothing_stored(as_family, world):
    response = send(as_family, world.home.id, form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert _count() == (0, 0)


def test_missing_csrf_token_is_refused(as_family, world):
    response = as_family.post(f"/homes/{world.home.id}/inquire", data=form_data())
    assert response.status_code == 400
    assert _count() == (0, 0)


def test_unknown_home_is_404(as_family, world):
    assert as_family.get("/homes/999999/inquire").status_code == 404
    page = as_family.get(f"/homes/{world.home.id}/inquire")
    from tests.inquiries.conftest import csrf_token

    token = csrf_token(page.get_data(as_text=True))
    assert as_family.post("/homes/999999/inquire", data={"csrf_token": token, **form_data()}).status_code == 404
    assert _count() == (0, 0)


def test_unknown_kind_in_the_link_is_400(as_family, world):
    assert as_family.get(f"/homes/{world.home.id}/inquire?kind=complaint").status_code == 400


def test_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(f"/homes/{world.home.id}/inquire?kind=visit")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    token = csrf_token(client.get("/account/login").get_data(as_text=True))  # a valid form: sign-in refuses it
    response = client.post(f"/homes/{world.home.id}/inquire", data={"csrf_token": token, **form_data()})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert _count() == (0, 0)


@pytest.mark.parametrize("role", ["provider", "regulator", "admin"])
def test_only_family_accounts_send_inquiries(client, world, role):
    user = world.staff if role == "provider" else make_user(role)
    login_as(client, user)
    assert client.get(f"/homes/{world.home.id}/inquire").status_code == 403


def test_form_is_prefilled_from_the_account(as_family, world):
    html = as_family.get(f"/homes/{world.home.id}/inquire").get_data(as_text=True)
    assert 'value="王小明"' in html and 'value="+8613800138000"' in html


def test_home_page_offers_question_and_visit(client, world):
    html = client.get(f"/homes/{world.home.id}").get_data(as_text=True)
    assert f"/homes/{world.home.id}/inquire" in html and f"/homes/{world.home.id}/inquire?kind=visit" in html


def test_english_form_labels(as_family, world):
    html = as_family.get(f"/homes/{world.home.id}/inquire?kind=visit&lang=en").get_data(as_text=True)
    assert "Date of the visit" in html and 'for="contact_consent"' in html


def test_my_inquiries_lists_only_mine_with_status(as_family, client, world):
    send(as_family, world.home.id, form_data())
    mine = db.session.scalars(sa.select(Inquiry)).one()
    html = as_family.get("/account/inquiries").get_data(as_text=True)
    assert mine.reference in html and "inquiry-status status-open" in html
    login_as(client, world.other_family)
    assert mine.reference not in client.get("/account/inquiries").get_data(as_text=True)
