"""The panel registry: a page's slot shows what packages registered, in order, with their own data."""

from core import panels


def test_panels_come_in_order_with_the_data_computed_for_the_subject(app):
    panels.register(app, "test.slot", "b.html", lambda subject: {"twice": subject * 2}, order=200)
    panels.register(app, "test.slot", "a.html", order=50)
    panels.register(app, "other.slot", "c.html")
    with app.test_request_context():
        rendered = panels.panels_for("test.slot", 21)
    assert [p.template for p in rendered] == ["a.html", "b.html"]
    assert rendered[0].data == 21 and rendered[1].data == {"twice": 42}


def test_the_home_page_slots_hold_the_costs_quality_and_reviews_panels(app):
    registered = {slot: [p.template for p in panels.registered(slot)]
                  for slot in ("home.after_fees", "home.after_vacancies", "home.after_description",
                               "compare.after_table")}
    assert registered == {"home.after_fees": ["costs/_home_costs.html"],
                          "home.after_vacancies": ["quality/_home_rating.html"],
                          "home.after_description": ["reviews/_home_reviews.html"],
                          "compare.after_table": ["costs/_compare_costs.html", "quality/_compare_ratings.html"]}


def test_the_home_page_renders_its_panels_in_page_order(client):
    from tests.factories import make_home

    home = make_home(fees={"full": (3000, 2000, 1000)})
    page = client.get(f"/homes/{home.id}?lang=en").get_data(as_text=True)
    positions = [page.index(f'id="{anchor}"') for anchor in ("true-cost", "quality-rating", "reviews")]
    assert positions == sorted(positions)
