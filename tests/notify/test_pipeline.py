"""Notifications end to end: recorded with the change, shown in the inbox, sent by e-mail through a real SMTP
server and by SMS, in the recipient's language, never lost and never doubled, quiet at night."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import sqlalchemy as sa

from core import time as clock
from core.extensions import db
from inquiries import services as inquiries
from notify import services
from notify.delivery import deliver_due
from notify.models import Delivery, Notification
from notify.sms import CollectingSmsSender
from tests.factories import login_as, make_home, make_user, make_verified_provider

ROOT = Path(__file__).resolve().parents[2]


def _world():
    operator = make_verified_provider("康乐")
    home = make_home("320508", provider_id=operator.id, name="康乐护理院")
    staff = make_user("provider", provider=operator, email="staff@example.cn", mobile="+8613900000001")
    family = make_user("family", email="li.na@example.cn", mobile="+8613900000002")
    return home, staff, family


def _visit(family, home):
    return inquiries.send_inquiry(family, home, kind="visit", contact_name="李娜", contact_phone="13900000002",
                                  contact_consent=True, body="想带母亲参观", time_slot="morning",
                                  visit_date=clock.today() + timedelta(days=5))


def _subject(message):
    return str(make_header(decode_header(message["Subject"])))


def _text_part(message):
    return next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()


def test_a_visit_request_reaches_the_homes_staff_inbox_in_the_same_transaction(app):
    home, staff, family = _world()
    inquiry = _visit(family, home)
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == staff.id)).all()
    assert note.kind == "visit_requested" and note.params["reference"] == inquiry.reference
    assert {d.channel for d in note.deliveries} == {"email", "sms"}
    assert services.unread_count(family) == 0


def test_a_refused_change_records_no_notification(app):
    home, staff, family = _world()
    try:
        inquiries.send_inquiry(family, home, kind="visit", contact_name="李娜", contact_phone="13900000002",
                               contact_consent=True, body="x", time_slot="morning",
                               visit_date=clock.today() - timedelta(days=1))
    except Exception:  # noqa: BLE001 - the service refuses a date in the past
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_the_same_event_recorded_twice_notifies_once(app):
    home, staff, family = _world()
    inquiry = _visit(family, home)
    from notify.listeners import on_inquiry

    on_inquiry(None, inquiry=inquiry, event="received")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == staff.id)) == 1


def test_a_confirmed_visit_is_emailed_in_chinese_with_a_calendar_file_and_an_unsubscribe_link(app, smtp_server,
                                                                                             client):
    home, staff, family = _world()
    inquiry = _visit(family, home)
    inquiries.confirm_visit(staff, inquiry, note="欢迎")
    deliver_due()
    [to_family] = [m for m in smtp_server if m["To"] == "li.na@example.cn"]
    assert _subject(to_family).startswith("参观已确认")
    assert "康乐护理院" in _text_part(to_family)
    assert any(p.get_filename() == "visit.ics" for p in to_family.walk())
    ics = next(p for p in to_family.walk() if p.get_filename() == "visit.ics").get_payload(decode=True).decode()
    assert "DTSTART;TZID=Asia/Shanghai:" in ics and inquiry.reference in ics
    assert to_family["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = "".join(to_family["List-Unsubscribe"].split()).strip("<>")
    assert unsubscribe_url.startswith("https://care.example.cn/notifications/unsubscribe/")
    path = unsubscribe_url.removeprefix("https://care.example.cn")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200  # one click, no sign-in, no CSRF token: the signed link is enough
    assert services.channels_for(family, "visit_confirmed") == ["sms"]
    assert client.post(path[:-3] + "xyz").status_code == 404  # a tampered token does nothing


def test_messages_go_out_in_the_language_the_person_chose(app, smtp_server):
    home, staff, family = _world()
    services.set_language(staff, "en")
    _visit(family, home)
    deliver_due()
    [to_staff] = [m for m in smtp_server if m["To"] == "staff@example.cn"]
    assert _subject(to_staff).startswith("Visit request") and "康乐护理院" in _subject(to_staff)
    assert "Please confirm" in _text_part(to_staff)


def test_a_visit_confirmation_goes_by_sms_through_the_registered_template(app):
    CollectingSmsSender.sent.clear()
    home, staff, family = _world()
    morning = datetime.combine(clock.today(), datetime.min.time()).replace(hour=10)  # business time, not quiet
    with clock.frozen(morning):  # the whole exchange by day: at night the SMS waits for 08:00 (the next test)
        inquiry = _visit(family, home)
        inquiries.confirm_visit(staff, inquiry)
        deliver_due()
    kinds = {(m["to"], m["kind"]) for m in CollectingSmsSender.sent}
    assert ("+8613900000002", "visit_confirmed") in kinds and ("+8613900000001", "visit_requested") in kinds


def test_no_sms_between_21_and_8_business_time(app):
    CollectingSmsSender.sent.clear()
    home, staff, family = _world()
    evening = datetime(2026, 12, 7, 22, 30)  # business time
    with clock.frozen(evening):
        _visit(family, home)
        sms = db.session.scalar(sa.select(Delivery).where(Delivery.channel == "sms"))
        assert clock.business_date(sms.not_before) == date(2026, 12, 8)
        assert sms.not_before.astimezone(clock.business_tz()).hour == 8
        deliver_due()
        assert CollectingSmsSender.sent == []
    with clock.frozen(datetime(2026, 12, 8, 8, 1)):
        deliver_due()
    assert [m["kind"] for m in CollectingSmsSender.sent] == ["visit_requested"]


def test_a_failing_mail_server_is_retried_with_backoff_and_nothing_is_lost(app, smtp_server):
    home, staff, family = _world()
    _visit(family, home)
    good_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    from notify import mail

    mail.init_app(app)
    deliver_due()
    email = db.session.scalar(sa.select(Delivery).where(Delivery.channel == "email"))
    assert email.status == "pending" and email.attempts == 1 and email.last_error
    assert email.not_before > clock.utcnow()
    app.config["MAIL_PORT"] = good_port
    mail.init_app(app)
    with clock.frozen(clock.utcnow() + timedelta(minutes=5)):
        deliver_due()
    db.session.refresh(email)
    assert email.status == "sent" and len([m for m in smtp_server if m["To"] == "staff@example.cn"]) == 1


_CRASH = """
import os, sys
from app import create_app
from notify import delivery
real_send = delivery.send
def send_then_die(d):
    real_send(d)
    os._exit(9)  # killed after the message left, before it was marked sent
delivery.send = send_then_die
app = create_app("development")
with app.app_context():
    delivery.deliver_due()
"""


def test_a_worker_killed_after_sending_neither_loses_nor_doubles_the_message(app, smtp_server, tmp_path):
    database = tmp_path / "crash.sqlite3"
    url = f"sqlite:///{database}"
    env = {**os.environ, "DATABASE_URL": url, "SEARCH_INDEX_PATH": str(tmp_path / "i.sqlite3"),
           "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(app.config["MAIL_PORT"]),
           "INSTANCE_PATH": str(tmp_path / "instance"), "APP_CONFIG": "development"}
    env.pop("TEST_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, email, display_name, role, active, failed_logins, created_at) "
                             "VALUES (1, 'wang@example.cn', '王', 'family', 1, 0, '2026-12-01 00:00:00')"))
        conn.execute(sa.text("INSERT INTO notifications (id, user_id, kind, params, link, dedupe_key, created_at) "
                             "VALUES (1, 1, 'review_published', :params, '/reviews/1', 'k1', '2026-12-01 00:00:00')"),
                     {"params": '{"home": "康乐护理院"}'})
        conn.execute(sa.text("INSERT INTO notification_deliveries (id, notification_id, channel, status, attempts, "
                             "not_before, last_error) VALUES (1, 1, 'email', 'pending', 0, '2026-12-01 00:00:00', '')"))
    crashed = subprocess.run([sys.executable, "-c", _CRASH], cwd=ROOT, env=env, capture_output=True, text=True)
    assert crashed.returncode == 9, crashed.stderr
    assert len(smtp_server) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM notification_deliveries")).scalar() == "sending"
    # the lease runs out: the next worker sends it again, with the same Message-ID (the idempotency key)
    resend = _CRASH.replace("delivery.send = send_then_die", "").replace(
        "    delivery.deliver_due()", "    from core import time\n    from datetime import timedelta\n"
        "    with time.frozen(time.utcnow() + timedelta(minutes=3)):\n        delivery.deliver_due()")
    done = subprocess.run([sys.executable, "-c", resend], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status, attempts FROM notification_deliveries")).one() == ("sent", 2)
    assert len(smtp_server) == 2 and smtp_server[0]["Message-ID"] == smtp_server[1]["Message-ID"]
    assert len({m["Message-ID"] for m in smtp_server}) == 1  # one message, as a mailbox shows it


def test_the_inbox_shows_the_unread_count_and_marks_read(app, client):
    home, staff, family = _world()
    _visit(family, home)
    login_as(client, staff)
    page = client.get("/account/notifications", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'id="nav-inbox-unread"' in page and "参观申请" in page
    from tests.accounts.helpers import csrf_token

    token = csrf_token(client, "/account/notifications")
    assert client.post("/account/notifications/read", data={"csrf_token": token}).status_code == 302
    assert services.unread_count(staff) == 0
    assert 'id="nav-inbox-unread"' not in client.get("/account/notifications").get_data(as_text=True)
