"""The rating rules, case by case, with figures worked out by hand from quality/rules/v1.json."""

from datetime import date, timedelta
from types import SimpleNamespace as NS

import pytest

from quality import rules

TODAY = date(2026, 11, 23)
V1 = rules.load_rules("v1")


def finding(severity, scope="isolated"):
    return NS(severity=severity, scope=scope)


def inspection(days_ago, *findings):
    return NS(inspected_on=TODAY - timedelta(days=days_ago), findings=list(findings))


def sanction(days_ago, severity="serious"):
    return NS(issued_on=TODAY - timedelta(days=days_ago), severity=severity)


def certificate(level, valid_until, issued_on=date(2024, 1, 1)):
    return NS(level=level, issued_on=issued_on, valid_until=valid_until, issuing_body="苏州市民政局")


def staffing(ratio_staff, residents=100, nurses=10, checked=True, days_ago=30, report_id=1):
    return NS(id=report_id, as_of=TODAY - timedelta(days=days_ago), staff_ratio=ratio_staff / residents,
              nursing_share=nurses / ratio_staff if ratio_staff else 0.0, checked=checked)


def records(inspections=(), sanctions=(), certificates=(), reports=(), score=None, count=0):
    return {"inspections": list(inspections), "sanctions": list(sanctions), "certificates": list(certificates),
            "staffing": list(reports), "review_score": score, "review_count": count}


def test_the_published_rule_file_has_every_part_and_weights_summing_to_one():
    assert V1["id"] == "v1" and set(V1["weights"]) == set(rules.PARTS)
    assert sum(V1["weights"].values()) == pytest.approx(1.0)


def test_a_clean_recent_inspection_and_a_valid_grade_give_a_rating():
    result = rules.compute_rating(records([inspection(30)], certificates=[certificate(4, date(2027, 6, 30))]), TODAY)
    # inspections 5 stars (0 points), grade 4; weights 0.4 and 0.2 -> (2.0 + 0.8) / 0.6 = 4.67 -> 5
    assert result["sub_ratings"]["inspections"]["stars"] == 5
    assert result["sub_ratings"]["grade"]["stars"] == 4
    assert result["overall"] == 5 and not result["capped"] and not result["warning"]


def test_without_an_inspection_there_is_not_enough_data_whatever_else_is_known():
    result = rules.compute_rating(records(certificates=[certificate(5, date(2028, 1, 1))],
                                          reports=[staffing(40)], score=4.8, count=50), TODAY)
    assert result["overall"] is None
    assert result["sub_ratings"]["inspections"] == {"stars": None, "reason": "no_inspections"}


def test_an_inspection_alone_is_not_enough_data():
    assert rules.compute_rating(records([inspection(10)]), TODAY)["overall"] is None


def test_an_inspection_older_than_the_window_does_not_count():
    old = inspection(int(37 * 30.4375))
    result = rules.compute_rating(records([old], certificates=[certificate(3, date(2027, 1, 1))]), TODAY)
    assert result["sub_ratings"]["inspections"]["stars"] is None and result["overall"] is None


def test_finding_points_multiply_severity_by_scope():
    one = inspection(0, finding("serious", "pattern"), finding("minor", "widespread"))
    assert rules.inspection_points(one, V1) == 20 * 1.5 + 2 * 2.0


def test_recent_inspections_weigh_more():
    bad = (finding("serious", "widespread"),)  # 40 points
    recent_bad = rules.rate_inspections([inspection(0, *bad), inspection(365)], TODAY, V1)
    old_bad = rules.rate_inspections([inspection(0), inspection(365, *bad)], TODAY, V1)
    # weights 1 and 0.5 ** (365 / 30.4375 / 12): recent bad = 40 / 1.5 = 26.7 points (2 stars); old bad = 13.3 (3)
    assert recent_bad["points"] == pytest.approx(40 / (1 + 0.5 ** (365 / 30.4375 / 12)), abs=0.01)
    assert recent_bad["stars"] == 2 and old_bad["stars"] == 3
    assert recent_bad["points"] > old_bad["points"]


@pytest.mark.parametrize(("points_findings", "stars"), [
    ((), 5), ((finding("minor"),), 5), ((finding("moderate"),), 4), ((finding("serious"),), 3),
    ((finding("serious", "widespread"),), 2), ((finding("critical", "pattern"),), 1)])
def test_inspection_points_map_to_stars_by_the_thresholds(points_findings, stars):
    assert rules.rate_inspections([inspection(1, *points_findings)], TODAY, V1)["stars"] == stars


def test_an_expired_grade_counts_as_none():
    sub = rules.rate_grade([certificate(5, TODAY - timedelta(days=1))], TODAY, V1)
    assert sub["stars"] is None and sub["reason"] == "expired" and sub["level"] == 5


def test_a_grade_valid_until_today_still_counts():
    assert rules.rate_grade([certificate(3, TODAY)], TODAY, V1)["stars"] == 3


def test_the_certificate_in_force_counts_not_a_newer_expired_one():
    sub = rules.rate_grade([certificate(2, date(2027, 1, 1)), certificate(5, date(2025, 1, 1), date(2022, 1, 1))],
                           TODAY, V1)
    assert sub["stars"] == 2


def test_unchecked_staffing_is_shown_but_does_not_count():
    sub = rules.rate_staffing([staffing(45, checked=False)], TODAY, V1)
    assert sub["stars"] is None and sub["reason"] == "unchecked" and sub["reported"]["ratio"] == 0.45
    result = rules.compute_rating(records([inspection(5)], reports=[staffing(45, checked=False)]), TODAY)
    assert result["overall"] is None  # inspections alone: the unchecked report adds nothing


def test_a_checked_report_counts_even_when_a_newer_one_waits_for_a_check():
    sub = rules.rate_staffing([staffing(30, nurses=3, days_ago=100, report_id=1),
                               staffing(50, nurses=10, checked=False, days_ago=5, report_id=2)], TODAY, V1)
    # ratio 0.30 -> 4 stars; nursing share 0.10: no adjustment
    assert sub["stars"] == 4 and sub["adjustment"] == 0 and "newer_unchecked" in sub


@pytest.mark.parametrize(("staff", "nurses", "stars"), [
    (40, 8, 5),  # 0.40 -> 5, share 0.20 -> +1 capped at 5
    (22, 2, 3),  # 0.22 -> 3, share 0.09 -> no change
    (22, 4, 4),  # share 0.18 -> +1
    (30, 1, 3),  # 0.30 -> 4, share 0.033 -> -1
    (10, 0, 1),  # 0.10 -> 1, share 0 -> -1 floored at 1
])
def test_staffing_stars_from_ratio_and_nursing_share(staff, nurses, stars):
    assert rules.rate_staffing([staffing(staff, nurses=nurses)], TODAY, V1)["stars"] == stars


def test_a_staffing_report_older_than_the_limit_does_not_count():
    assert rules.rate_staffing([staffing(40, days_ago=600)], TODAY, V1) == {"stars": None, "reason": "no_report"}


def test_experience_needs_the_minimum_number_of_reviews():
    assert rules.rate_experience(4.9, 4, V1)["stars"] is None
    assert rules.rate_experience(4.9, 5, V1)["stars"] == 5
    assert rules.rate_experience(3.74, 5, V1)["stars"] == 3
    assert rules.rate_experience(None, 0, V1)["reason"] == "too_few_reviews"


def test_a_serious_sanction_in_the_last_12_months_caps_the_rating_and_warns():
    base = records([inspection(30)], certificates=[certificate(5, date(2028, 1, 1))], reports=[staffing(40)],
                   score=4.8, count=20)
    assert rules.compute_rating(base, TODAY)["overall"] == 5
    capped = rules.compute_rating({**base, "sanctions": [sanction(100)]}, TODAY)
    assert capped["overall"] == 2 and capped["uncapped"] == 5 and capped["capped"] and capped["warning"]


def test_a_minor_or_older_sanction_does_not_cap():
    base = records([inspection(30)], certificates=[certificate(5, date(2028, 1, 1))])
    for old_or_minor in (sanction(100, "minor"), sanction(400)):
        result = rules.compute_rating({**base, "sanctions": [old_or_minor]}, TODAY)
        assert result["overall"] == 5 and not result["warning"]


def test_a_low_rating_is_not_raised_by_the_cap_but_still_warns():
    base = records([inspection(30, finding("critical", "widespread"))], certificates=[certificate(1, date(2028, 1, 1))],
                   sanctions=[sanction(10)])
    result = rules.compute_rating(base, TODAY)
    assert result["overall"] == 1 and not result["capped"] and result["warning"]


def test_not_enough_data_still_shows_the_warning():
    result = rules.compute_rating(records(sanctions=[sanction(10)]), TODAY)
    assert result["overall"] is None and result["warning"]


def test_the_overall_is_a_weighted_mean_rounded_half_up():
    # inspections 3 (serious isolated = 20 points), staffing 4 (0.30, share 0.10), grade 2, experience 5:
    # (0.4*3 + 0.2*4 + 0.2*2 + 0.2*5) / 1.0 = 3.4 -> 3
    recs = records([inspection(10, finding("serious"))], certificates=[certificate(2, date(2027, 1, 1))],
                   reports=[staffing(30, nurses=3)], score=4.6, count=9)
    assert rules.compute_rating(recs, TODAY)["overall"] == 3
    # experience 4 instead of 5 and grade 4: 0.4*3 + 0.2*4 + 0.2*4 + 0.2*4 = 3.6 -> 4
    recs = {**recs, "review_score": 4.0, "certificates": [certificate(4, date(2027, 1, 1))]}
    assert rules.compute_rating(recs, TODAY)["overall"] == 4
    assert rules.round_half_up(3.5) == 4 and rules.round_half_up(2.49) == 2
