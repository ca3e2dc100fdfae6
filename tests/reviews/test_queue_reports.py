"""Reviews reported by families or homes show in the main moderation queue, with a badge, orderable first."""

import re

from reviews import engagement, queries
from tests.factories import login_as
from tests.reviews.conftest import csrf_token


def _queue_ids(client, **args):
    page = client.get("/regulator/reviews/", query_string=args)
    assert page.status_code == 200
    return [int(i) for i in re.findall(r'id="queue-(\d+)"', page.get_data(as_text=True))], page.get_data(as_text=True)


def _risky_pending(world):
    review = world.submit(user=world.other_family, text="请打电话13812345678联系我，护理一般。")
    assert review.risk_score > 0
    return review


def test_a_reported_published_review_is_in_the_queue_with_a_badge(client, world):
    published = world.published()
    engagement.report_review(world.other_family, published, "personal_data", "写了护工全名")
    login_as(client, world.regulator)
    ids, page = _queue_ids(client)
    assert published.id in ids
    assert f'id="reported-{published.id}"' in page
    tab = re.search(r'id="tab-reported"[^>]*>([^<]*)<', page).group(1)
    assert re.search(r"[(（]1[)）]", tab), tab  # zh-CN: 被举报（1）
    reported_ids, _page = _queue_ids(client, status="reported")
    assert reported_ids == [published.id]


def test_reported_reviews_can_be_ordered_first(client, world):
    risky = _risky_pending(world)
    published = world.published()
    engagement.report_review(world.other_family, published, "abusive_language")
    login_as(client, world.regulator)
    by_risk, _page = _queue_ids(client)
    assert by_risk.index(risky.id) < by_risk.index(published.id)
    by_reports, _page = _queue_ids(client, order="reports")
    assert by_reports[0] == published.id and risky.id in by_reports


def test_a_resolved_report_leaves_the_queue_and_the_engagement_page_still_works(client, world):
    published = world.published()
    report = engagement.report_review(world.other_family, published, "abusive_language")
    login_as(client, world.regulator)
    page = client.get("/regulator/review-engagement")
    assert page.status_code == 200 and f'id="open-report-{report.id}"' in page.get_data(as_text=True)
    engagement.resolve_report(world.regulator, report, False, "措辞尚可，驳回举报")
    ids, _page = _queue_ids(client)
    assert published.id not in ids


def test_the_moderation_page_lists_open_reports_and_a_reported_review_can_be_folded_in_bulk(client, world):
    published = world.published()
    engagement.report_review(world.other_family, published, "personal_data", "写了护工全名")
    login_as(client, world.regulator)
    page = client.get(f"/regulator/reviews/{published.id}").get_data(as_text=True)
    assert 'id="open-reports"' in page and "写了护工全名" in page
    token = csrf_token(client.get("/regulator/reviews/?status=reported").get_data(as_text=True))
    response = client.post("/regulator/reviews/bulk", data={
        "csrf_token": token, "status": "reported", "order": "reports", "review_id": [str(published.id)],
        "action": "fold", "reason_code": "personal_data", "statement": "含有个人信息"})
    assert response.status_code == 302 and "status=reported" in response.headers["Location"]
    assert queries.get_review(published.id).status == "folded"


def test_reports_outside_the_jurisdiction_are_not_in_the_queue(client, world):
    published = world.published()
    engagement.report_review(world.other_family, published, "abusive_language")
    login_as(client, world.outside_regulator)
    ids, _page = _queue_ids(client, status="reported")
    assert ids == []


def test_unknown_queue_filters_are_a_400(client, world):
    login_as(client, world.regulator)
    assert client.get("/regulator/reviews/?status=nope").status_code == 400
    assert client.get("/regulator/reviews/?order=nope").status_code == 400
