"""Notices for operators and regulators, each recorded with the change that causes it: a claim filed against an
operator's home (with the dispute period), a claim decided (to the claimant), claims and appeals waiting for a
regulator, a flood of reviews flagged, an import that set rows aside, API client secrets about to expire."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from accounts import oauth2
from core import time as core_time
from core.extensions import db
from marketplace import services as market
from notify.models import Notification
from notify.notices import warn_expiring_api_clients
from reviews import services as reviews
from tests.factories import make_home, make_provider, make_user, make_verified_provider
from tests.ingest.conftest import import_sample
from tests.reviews.conftest import review_values

GROUNDS = "我母亲在这里住了半年，评价内容属实，请复核。"


def _kinds(user):
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id))]


def _one(user, kind):
    [note] = [n for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                                         Notification.kind == kind))]
    return note


class _Claim:
    def __init__(self):
        self.runner, self.claimer = make_verified_provider("甲"), make_provider("乙")
        self.home = make_home("320508", provider_id=self.runner.id, licence_no="L-1", name="甲护理院")
        self.runner_staff = make_user("provider", provider=self.runner, email="a@example.cn")
        self.claimant = make_user("provider", provider=self.claimer, email="b@example.cn")
        self.reg_in = make_user("regulator", jurisdiction="320000", email="r1@example.cn")
        self.reg_out = make_user("regulator", jurisdiction="330000", email="r2@example.cn")


def test_a_claim_filed_tells_the_running_operator_with_the_dispute_period_and_the_regulators_of_the_place(app):
    w = _Claim()
    market.claim_home(w.claimer, "L-1", w.claimant)
    note = _one(w.runner_staff, "claim_filed")
    assert note.params == {"home": "甲护理院", "days": app.config["CLAIM_DISPUTE_DAYS"]}
    assert _kinds(w.reg_in) == ["claim_waiting"] and _kinds(w.reg_out) == [] and _kinds(w.claimant) == []
    market.claim_home(w.claimer, "L-1", w.claimant)  # asked again: the same pending claim, no second notice
    assert _kinds(w.runner_staff) == ["claim_filed"]


def test_an_approved_claim_tells_the_claimant_and_the_operator_when_it_takes_effect(app):
    w = _Claim()
    claim = market.claim_home(w.claimer, "L-1", w.claimant)
    market.decide_claim(claim, w.reg_in, approve=True)
    assert _kinds(w.claimant) == ["claim_approved"]
    note = _one(w.runner_staff, "claim_approved_against")
    assert note.params["date"] == claim.transfer_due_on.isoformat()
    market.dispute_claim(claim, w.runner_staff, "我们仍在经营这家机构")
    assert _kinds(w.reg_in) == ["claim_waiting", "claim_waiting"]  # filed, then disputed


def test_a_rejected_claim_tells_the_claimant(app):
    w = _Claim()
    claim = market.claim_home(w.claimer, "L-1", w.claimant)
    market.decide_claim(claim, w.reg_in, approve=False, note="证照不符")
    assert _kinds(w.claimant) == ["claim_rejected"] and "claim_approved_against" not in _kinds(w.runner_staff)


def test_an_import_with_quarantined_rows_tells_the_regulator_who_ran_it(app):
    regulator = make_user("regulator", jurisdiction="310000", email="imp@example.cn")
    run = import_sample("shanghai", "shanghai_2025q1.csv", user=regulator)
    note = _one(regulator, "import_quarantined")
    assert note.params == {"count": run.quarantined, "source": "shanghai"} and run.quarantined == 4
    assert note.link == f"/regulator/imports/runs/{run.id}"


def test_an_appeal_tells_the_other_regulators_of_the_place_not_the_one_appealed(app):
    home = make_home("320508", name="姑苏评价养老院")
    family = make_user("family", email="f@example.cn")
    first, second = (make_user("regulator", jurisdiction=j, email=f"{j}@example.cn") for j in ("320000", "320500"))
    outside = make_user("regulator", jurisdiction="330000", email="o@example.cn")
    review = reviews.submit_review(family, home, **review_values(overall=1))
    reviews.moderate_review(first, review, "fold", "unsubstantiated", "缺少依据")
    reviews.appeal_review(family, review, GROUNDS)
    assert "appeal_waiting" in _kinds(second)
    assert "appeal_waiting" not in _kinds(first) and _kinds(outside) == []


def test_a_flood_of_reviews_from_one_address_is_flagged_to_the_regulators_once_a_day(app):
    home = make_home("320508", name="姑苏评价养老院")
    regulator = make_user("regulator", jurisdiction="320000", email="flood@example.cn")
    for i in range(4):
        reviews.submit_review(make_user("family", email=f"w{i}@example.cn"), home, source_ip="203.0.113.7",
                              **review_values())
    assert _kinds(regulator).count("review_flood_flagged") == 1


def test_an_api_client_secret_about_to_expire_is_told_to_its_operators_staff_once(app, clock):
    clock(datetime(2026, 3, 1, 10, 0))
    operator = make_verified_provider("接口运营方")
    staff = make_user("provider", provider=operator, email="api@example.cn")
    client, _secret = oauth2.create_api_client(operator, "护理系统", ["vacancies:write"], staff)
    revoked, _ = oauth2.create_api_client(operator, "旧系统", ["vacancies:write"], staff)
    oauth2.revoke_api_client(revoked, staff)
    assert warn_expiring_api_clients in app.extensions["daily_jobs"]  # `flask search worker` runs it daily
    assert warn_expiring_api_clients() == 0  # a year away
    clock.advance(timedelta(days=app.config["API_CLIENT_SECRET_DAYS"] - 10))
    assert warn_expiring_api_clients() == 1
    assert warn_expiring_api_clients() == 0  # the next day's run: already told
    note = _one(staff, "api_credentials_expiring")
    assert note.params == {"client": "护理系统", "date": "2027-03-01"}
    assert core_time.utcnow() < client.secret_expires_at  # told before it stops working


def test_an_expired_secret_no_longer_gets_a_token(app, client, clock):
    clock(datetime(2026, 3, 1, 10, 0))
    operator = make_verified_provider("接口运营方")
    staff = make_user("provider", provider=operator, email="api2@example.cn")
    api_client, secret = oauth2.create_api_client(operator, "护理系统", ["vacancies:write"], staff)
    data = {"grant_type": "client_credentials", "client_id": api_client.client_id, "client_secret": secret}
    assert client.post("/oauth/token", data=data).status_code == 200
    clock.advance(timedelta(days=app.config["API_CLIENT_SECRET_DAYS"] + 1))
    assert client.post("/oauth/token", data=data).status_code == 401


SAMPLES = {
    "shortlist_home_changed": {"home": "甲护理院", "changes": ["price", "free_beds", "grade", "quality_rating"]},
    "claim_filed": {"home": "甲护理院", "days": 14},
    "claim_approved_against": {"home": "甲护理院", "date": "2027-03-01"},
    "claim_approved": {"home": "甲护理院"}, "claim_rejected": {"home": "甲护理院"},
    "claim_waiting": {"home": "甲护理院"}, "appeal_waiting": {"home": "甲护理院"},
    "review_flood_flagged": {"home": "甲护理院"},
    "import_quarantined": {"count": 4, "source": "shanghai"},
    "api_credentials_expiring": {"client": "护理系统", "date": "2027-03-01"},
}


def test_every_new_kind_reads_fully_in_chinese_and_in_english(app):
    from notify.delivery import render
    from notify.kinds import KIND_LABELS, KINDS

    for kind, params in SAMPLES.items():
        assert kind in KINDS and kind in KIND_LABELS
        note = Notification(kind=kind, params=params)
        with app.test_request_context("/"):
            zh_title, zh_text = render(note, "zh_CN")
            en_title, en_text = render(note, "en")
        assert not any(word in zh_title + zh_text for word in (" the ", " your ", " has ", " was ")), kind
        assert zh_title != en_title and zh_text != en_text, kind
    with app.test_request_context("/"):
        changed = render(Notification(kind="shortlist_home_changed", params=SAMPLES["shortlist_home_changed"]),
                         "zh_CN")
        expiring = render(Notification(kind="api_credentials_expiring", params=SAMPLES["api_credentials_expiring"]),
                          "zh_CN")
    assert "价格、空床位、国家等级、质量评级" in changed[1]
    assert "2027年3月1日" in expiring[1]
