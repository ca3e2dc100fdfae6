"""Issue 13, trust details on a home's page: a photo placeholder, review averages and a star histogram, the
inspection findings with their dates, a meta description per page and a favicon."""

from datetime import date

from core.extensions import db
from quality.models import Finding, Inspection
from reviews.models import Review
from tests.factories import make_home, make_user


def _review(home, overall, status="published", **sub_scores):
    db.session.add(Review(home_id=home.id, author_id=make_user("family").id, relationship="family",
                          period_start=date(2026, 1, 1), period_end=date(2026, 6, 1), overall=overall,
                          sub_scores=sub_scores, text="很好" * 20, status=status))


def test_a_home_without_photos_says_so(client, app):
    home = make_home()
    html = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert 'id="photo-placeholder"' in html and "照片尚未提供" in html


def test_review_histogram_and_averages_count_published_reviews_only(client, app):
    home = make_home()
    _review(home, 5, care=5, food=3)
    _review(home, 5, care=4)
    _review(home, 2, care=2, food=2)
    _review(home, 1, status="pending", care=1)
    db.session.commit()
    html = client.get(f"/homes/{home.id}?lang=en").get_data(as_text=True)
    histogram = html.split('id="star-histogram"')[1].split("</table>")[0]
    rows = {s: histogram.split(f'data-stars="{s}"')[1].split("</tr>")[0] for s in range(1, 6)}
    assert "2 reviews" in rows[5] and "1 reviews" in rows[2] and "0 reviews" in rows[1]
    assert "bar-65" in rows[5] and "bar-0" in rows[1]
    averages = html.split('id="sub-score-averages"')[1].split("</table>")[0]
    assert 'data-topic="care"' in averages and ">3.7<" in averages and ">2.5<" in averages  # care 11/3, food 5/2


def test_inspection_findings_are_listed_with_dates(client, app):
    home = make_home()
    inspection = Inspection(home_id=home.id, inspected_on=date(2026, 9, 14), kind="routine", source="form")
    db.session.add(inspection)
    db.session.flush()
    db.session.add(Finding(inspection_id=inspection.id, severity="serious", scope="isolated",
                           description="消防通道堵塞"))
    db.session.commit()
    html = client.get(f"/homes/{home.id}").get_data(as_text=True)
    listed = html.split('id="home-inspections"')[1].split("</ul>")[0]
    assert "2026年9月14日" in listed and "消防通道堵塞" in listed


def test_each_page_has_its_own_description_and_a_favicon(client, app):
    home = make_home(name="描述测试院")
    pages = [client.get(p).get_data(as_text=True) for p in ("/", f"/homes/{home.id}", "/compare", "/ratings")]
    descriptions = [p.split('<meta name="description" content="')[1].split('"')[0] for p in pages]
    assert len(set(descriptions)) == 4 and "描述测试院" in descriptions[1]
    assert all('rel="icon"' in p for p in pages)
    assert client.get("/static/favicon.svg").status_code == 200
