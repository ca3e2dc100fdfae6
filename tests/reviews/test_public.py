"""What the public sees: published reviews on the home page and in the API, folded ones on request only."""

from core.extensions import db
from reviews import services
from tests.factories import make_user

PUBLISHED = "公开的评价：护理员耐心细致，伙食清淡可口。"
FOLDED = "被折叠的评价：我听说这里不好，但没有亲身经历。"
REJECTED = "被拒绝的评价：包含辱骂内容的文字示例。"
PENDING = "待审核的评价：刚刚参观过，环境不错。"


def _four_reviews(world):
    published = world.published(overall=5, text=PUBLISHED, relationship="resident")
    published.verified = True
    db.session.commit()
    folded = world.published(overall=2, text=FOLDED, user=world.other_family)
    services.moderate_review(world.regulator, folded, "fold", "not_first_hand", "并非亲身经历")
    rejected = world.submit(overall=1, text=REJECTED, user=make_user("family"))
    services.moderate_review(world.regulator, rejected, "reject", "abusive_language", "辱骂")
    world.submit(text=PENDING, user=make_user("family"))
    return published, folded


def test_the_home_page_shows_published_reviews_and_folded_ones_behind_a_toggle(world, client):
    published, folded = _four_reviews(world)
    page = client.get(f"/homes/{world.home.id}").get_data(as_text=True)
    assert PUBLISHED in page and f'id="review-{published.id}"' in page
    assert 'id="folded-reviews"' in page and FOLDED in page.split('id="folded-reviews"')[1]
    assert FOLDED not in page.split('id="folded-reviews"')[0]
    assert REJECTED not in page and PENDING not in page
    assert page.count("badge verified") == 1  # the verified review only
    assert "/methods/reviews" in page and 'id="write-review"' in page
    section = page.split('id="reviews"')[1]
    assert section.count("/5</dd>") >= 8  # the sub-scores


def test_the_home_list_shows_folded_reviews_only_on_request(world, client):
    _four_reviews(world)
    page = client.get(f"/homes/{world.home.id}/reviews").get_data(as_text=True)
    assert PUBLISHED in page and FOLDED not in page
    page = client.get(f"/homes/{world.home.id}/reviews?folded=1").get_data(as_text=True)
    assert PUBLISHED in page and FOLDED in page and REJECTED not in page
    assert client.get("/homes/999999/reviews").status_code == 404


def test_the_api_lists_published_reviews_with_the_score_and_folded_ones_on_request(world, client):
    published, folded = _four_reviews(world)
    body = client.get(f"/api/v1/homes/{world.home.id}/reviews").get_json()
    assert [r["id"] for r in body["items"]] == [published.id] and body["total"] == 1
    assert body["review_count"] == 1 and 1 <= body["score"] <= 5
    item = body["items"][0]
    assert item["verified"] is True and item["relationship"] == "resident" and item["sub_scores"]["care"] == 4
    assert "author_id" not in item and "source_ip" not in item
    body = client.get(f"/api/v1/homes/{world.home.id}/reviews?folded=true").get_json()
    assert {r["id"] for r in body["items"]} == {published.id, folded.id} and body["total"] == 2


def test_the_api_refuses_bad_parameters_and_unknown_homes_in_the_one_error_shape(world, client):
    response = client.get(f"/api/v1/homes/{world.home.id}/reviews?per_page=1000")
    assert response.status_code == 400 and "per_page" in response.get_json()["error"]["fields"]
    response = client.get("/api/v1/homes/999999/reviews")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_the_methods_page_shows_the_constants_in_use(client):
    from reviews import reputation

    page = client.get("/methods/reviews?lang=en").get_data(as_text=True)
    for value in (reputation.PRIOR_WEIGHT, reputation.HALF_LIFE_MONTHS, reputation.VERIFIED_WEIGHT,
                  reputation.OVERALL_SHARE):
        assert str(value) in page
    assert "12" in page
