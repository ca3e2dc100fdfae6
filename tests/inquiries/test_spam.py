"""Spam limits: the per-user and per-IP rate limits, the daily rule, the same-text rule, the honeypot.

A refused request stores nothing, and everything accepted before it stays.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from inquiries import services
from inquiries.models import Inquiry
from tests.factories import login_as, make_home
from tests.inquiries.conftest import csrf_token, form_data, send


def _references():
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Inquiry.reference)))


def _homes(world, n):
    return [make_home("320508", provider_id=world.operator.id) for _ in range(n)]


def test_rate_limit_per_user_refuses_the_sixth_in_an_hour_and_keeps_the_five(app, as_family, world):
    app.config.update(INQUIRY_DAILY_LIMIT=100)  # the limiter alone, here
    homes = _homes(world, 6)
    for n, home in enumerate(homes[:5]):
        assert send(as_family, home.id, form_data(body=f"第{n}个问题")).status_code == 302
    kept = _references()
    response = send(as_family, homes[5].id, form_data(body="第六个问题"))
    assert response.status_code == 429
    assert _references() == kept and len(kept) == 5


def test_rate_limit_does_not_count_refused_forms(as_family, world):
    for _ in range(6):
        assert send(as_family, world.home.id, form_data(contact_consent=None)).status_code == 400
    assert send(as_family, world.home.id, form_data()).status_code == 302


def test_rate_limit_per_ip_counts_every_post(app, client, world):
    app.config.update(INQUIRY_SEND_LIMIT_IP="3/hour")
    login_as(client, world.family)
    token = csrf_token(client.get(f"/homes/{world.home.id}/inquire").get_data(as_text=True))
    for _ in range(3):
        assert client.post(f"/homes/{world.home.id}/inquire", data={"csrf_token": token}).status_code == 400
    login_as(client, world.other_family)  # another account behind the same address
    token = csrf_token(client.get(f"/homes/{world.home.id}/inquire").get_data(as_text=True))
    response = client.post(f"/homes/{world.home.id}/inquire", data={"csrf_token": token, **form_data()})
    assert response.status_code == 429
    assert _references() == set()


def test_daily_rule_refuses_more_than_the_limit_in_24_hours(app, as_family, world):
    app.config.update(INQUIRY_DAILY_LIMIT=3)
    homes = _homes(world, 4)
    for n, home in enumerate(homes[:3]):
        assert send(as_family, home.id, form_data(body=f"问题{n}")).status_code == 302
    kept = _references()
    response = send(as_family, homes[3].id, form_data(body="问题3"))
    assert response.status_code == 429 and "24" in response.get_data(as_text=True)
    assert _references() == kept


def test_daily_rule_forgets_inquiries_older_than_24_hours(app, world):
    app.config.update(INQUIRY_DAILY_LIMIT=1)
    values = {"kind": "inquiry", "contact_name": "王", "contact_phone": "13800138000", "contact_consent": True}
    with app.test_request_context():
        services.send_inquiry(world.family, world.home, body="昨天的问题", now=utcnow() - timedelta(hours=25),
                              **values)
        services.send_inquiry(world.family, world.home, body="今天的问题", **values)
        with pytest.raises(ServiceError) as exc:
            services.send_inquiry(world.family, world.other_home, body="再一个", **values)
    assert exc.value.status == 429 and len(_references()) == 2


def test_same_text_to_a_few_homes_is_allowed_but_not_to_more(as_family, world):
    homes = _homes(world, 5)
    for home in homes[:4]:
        assert send(as_family, home.id, form_data(body="请问有空床吗？")).status_code == 302
    kept = _references()
    # case and white space do not make it a different text
    response = send(as_family, homes[4].id, form_data(body="  请问有空床吗？ "))
    assert response.status_code == 429
    assert _references() == kept


def test_same_text_to_the_same_home_twice_is_a_double_submission(as_family, world):
    assert send(as_family, world.home.id, form_data()).status_code == 302
    response = send(as_family, world.home.id, form_data())
    assert response.status_code == 409
    assert len(_references()) == 1


def test_same_text_is_allowed_again_after_the_window(app, world):
    values = {"kind": "inquiry", "contact_name": "王", "contact_phone": "13800138000", "contact_consent": True,
              "body": "请问有空床吗？"}
    with app.test_request_context():
        services.send_inquiry(world.family, world.home, now=utcnow() - timedelta(minutes=11), **values)
        services.send_inquiry(world.family, world.home, **values)
    assert len(_references()) == 2


def test_reply_rate_limit(app, client, world):
    app.config.update(INQUIRY_REPLY_LIMIT_USER="2/hour")
    login_as(client, world.family)
    send(client, world.home.id, form_data())
    reference = _references().pop()
    url = f"/inquiries/{reference}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    for n in range(2):
        assert client.post(url + "/reply", data={"csrf_token": token, "body": f"补充{n}"}).status_code == 302
    assert client.post(url + "/reply", data={"csrf_token": token, "body": "补充2"}).status_code == 429
    db.session.expire_all()
    assert [m.body for m in db.session.scalars(sa.select(Inquiry)).one().messages][1:] == ["补充0", "补充1"]
