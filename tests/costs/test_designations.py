"""Which homes take which insurance is data: imported designations count at once; declared ones once a regulator
of the home's place confirms them; they drive the estimate and the panel, with their source and date."""

import re
from datetime import date

from costs import crossprov, estimator
from costs.crossprov import HomePlace
from costs.location import place_region
from costs.models import HomeDesignation
from tests.factories import login_as, make_home, make_user, make_verified_provider

DEMENTIA = {"dementia": (3000, 4000, 900)}
SHANGHAI = place_region("310000")


def _token(client):
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_declared_designation_counts_only_once_a_regulator_confirms_it(client, app):
    operator = make_verified_provider("嘉兴运营")
    home = make_home("330402", fees=DEMENTIA, provider_id=operator.id)
    login_as(client, make_user("provider", provider=operator))
    response = client.post(f"/portal/homes/{home.id}/designations", data={
        "csrf_token": _token(client), "kind": "ltci", "scheme_region": "310000",
        "source": "上海市医保局 letter of designation", "source_date": "2026-05-01"})
    assert response.status_code == 302
    row = HomeDesignation.query.one()
    assert (row.status, row.basis, row.scheme_region, row.source_date) == ("pending", "declared", "310000",
                                                                           date(2026, 5, 1))
    assert not HomePlace.of(home).takes_ltci_of("310000")
    assert estimator.estimate(home, "dementia", insured_region=SHANGHAI, ltci_grade=4)["ltci"]["outcome"] == \
        "home_not_designated"

    login_as(client, make_user("regulator", jurisdiction="310000"))  # Shanghai's regulator: not the home's place
    assert client.post(f"/regulator/designations/{row.id}/confirm", data={"csrf_token": _token(client)}) \
        .status_code == 403
    login_as(client, make_user("regulator", jurisdiction="330000"))
    assert client.post(f"/regulator/designations/{row.id}/confirm", data={"csrf_token": _token(client)}) \
        .status_code == 302
    assert HomePlace.of(home).takes_ltci_of("310000")
    assert crossprov.decision(SHANGHAI, home)["ltci_home_designated"] is True
    body = client.get(f"/api/v1/homes/{home.id}/estimate?care_level=dementia&family_city=310000&ltci_grade=4") \
        .get_json()
    assert body["ltci"]["outcome"] == "applies"
    assert body["designations"][0]["source"] == "上海市医保局 letter of designation"
    assert body["designations"][0]["source_date"] == "2026-05-01"


def test_a_declaration_without_its_source_is_refused(client, app):
    operator = make_verified_provider("苏州运营")
    home = make_home("320508", fees=DEMENTIA, provider_id=operator.id)
    login_as(client, make_user("provider", provider=operator))
    response = client.post(f"/portal/homes/{home.id}/designations", data={
        "csrf_token": _token(client), "kind": "ltci", "source": ""})
    assert response.status_code == 400 and HomeDesignation.query.count() == 0


def test_imported_designations_count_at_once_and_set_the_homes_own_flags(app, tmp_path):
    home = make_home("320509", fees=DEMENTIA, licence_no="WJ-1")
    path = tmp_path / "designations.csv"
    path.write_text("licence_no,kind,scheme_region,source,source_date\n"
                    "WJ-1,cross_province_settlement,,国家医保局异地就医定点机构查询 (test),2026-10-01\n"
                    "WJ-1,ltci,310000,上海市医保局 YRD designated providers (test),2026-09-01\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["costs", "import-designations", str(path)])
    assert result.exit_code == 0 and "imported 2" in result.output
    place = HomePlace.of(home)
    assert place.cross_province_settlement is True and place.takes_ltci_of("310000")
    assert not place.takes_ltci_of("320500")  # not designated for its own city's scheme by this list
    bad = tmp_path / "bad.csv"
    bad.write_text("licence_no,kind,source,source_date\nWJ-1,ltci,x,2026-01-01\nNOPE,ltci,x,2026-01-01\n",
                   encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["costs", "import-designations", str(bad)])
    assert result.exit_code != 0 and "line 3" in result.output
    assert HomeDesignation.query.count() == 2  # all or nothing
