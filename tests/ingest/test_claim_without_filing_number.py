"""A home a directory imported with only its name and address (no filing number) is claimed by its operator
with the unified social credit code and the documents a regulator checks, end to end (issue 12)."""

import re

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from core.extensions import db
from marketplace import services as market
from marketplace.models import Home, HomeClaim
from tests.factories import login_as, make_provider, make_user
from tests.ingest.test_directory import run_file, write_csv

NAME = "西湖紫荆花颐养院"


def _token(client, url):
    return re.search(r'name="(?:doc-)?csrf_token" type="hidden" value="([^"]+)"',
                     client.get(url).get_data(as_text=True)).group(1)


@pytest.fixture
def imported(app, tmp_path):
    """A home from a name + address + province list: no filing number, no operator."""
    path = tmp_path / "名录.csv"
    write_csv(path, ["机构名称", "地址", "省份"], [[NAME, "杭州市西湖区紫荆花路1号", "浙江省"]])
    assert run_file(path).inserted == 1
    home = db.session.scalar(sa.select(Home).where(Home.name == NAME))
    assert home.licence_no is None and home.provider_id is None
    return home


def _code(prefix17):
    chars, weights = market.CREDIT_CODE_CHARS, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    return prefix17 + chars[(31 - sum(chars.index(c) * w for c, w in zip(prefix17, weights)) % 31) % 31]


def test_the_credit_code_check_character_is_checked():
    assert market.valid_credit_code("91350100M000100Y43") and market.valid_credit_code(_code("91330106MA27XK8Q1"))
    assert not market.valid_credit_code("91350100M000100Y44")  # one character off
    assert not market.valid_credit_code("91350100M000100Y4")  # too short
    assert not market.valid_credit_code("9135010OM000100Y43")  # the letter O is not used


def test_an_operator_claims_an_imported_home_without_filing_number_and_a_regulator_approves(app, client, imported):
    code = _code("91330106MA27XK8Q1")
    operator = make_provider("紫荆花养老服务有限公司")
    staff = make_user("provider", provider=operator)
    login_as(client, staff)
    page = client.get(f"/homes/{imported.id}").get_data(as_text=True)
    assert f'href="/portal/claims?home={imported.id}"' in page  # the way in: the home's own page
    url = f"/portal/claims?home={imported.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'id="claim-with-documents"' in form and NAME in form
    token = _token(client, url)
    refused = client.post(url, data={"doc-csrf_token": token, "doc-credit_code": "123", "doc-evidence": "营业执照",
                                     "doc-submit": "1"})
    assert refused.status_code == 400 and db.session.scalar(sa.select(HomeClaim)) is None
    sent = client.post(url, data={"doc-csrf_token": token, "doc-credit_code": code.lower(),
                                  "doc-evidence": "民办非企业单位登记证书、备案回执和场地租赁合同", "doc-submit": "1"})
    assert sent.status_code == 302
    claim = db.session.scalar(sa.select(HomeClaim))
    assert (claim.home_id, claim.provider_id, claim.status) == (imported.id, operator.id, "pending")
    assert (claim.licence_no, claim.credit_code) == ("", code) and "租赁合同" in claim.evidence

    regulator = make_user("regulator", jurisdiction="330100")
    login_as(client, regulator)
    desk = client.get("/regulator/").get_data(as_text=True)
    assert code in desk and "租赁合同" in desk
    token = re.search(rf'name="claim{claim.id}-csrf_token" type="hidden" value="([^"]+)"', desk).group(1)
    decided = client.post(f"/regulator/claims/{claim.id}", data={f"claim{claim.id}-csrf_token": token,
                                                                 f"claim{claim.id}-note": "材料核实无误",
                                                                 f"claim{claim.id}-approve": "1"})
    assert decided.status_code == 302
    db.session.expire_all()
    assert db.session.get(Home, imported.id).provider_id == operator.id  # nobody ran it: it moves at once


def test_a_home_with_a_filing_number_is_claimed_with_that_number(app, imported):
    imported.licence_no = "浙备-0001"
    db.session.commit()
    operator = make_provider()
    staff = make_user("provider", provider=operator)
    with pytest.raises(ServiceError) as refused:
        market.claim_home_with_documents(operator, imported.id, _code("91330106MA27XK8Q1"), "营业执照和备案回执", staff)
    assert refused.value.code == "has_filing_number" and refused.value.status == 409


def test_an_unknown_home_and_thin_evidence_are_refused(app, imported):
    operator = make_provider()
    staff = make_user("provider", provider=operator)
    with pytest.raises(ServiceError) as unknown:
        market.claim_home_with_documents(operator, 999_999, _code("91330106MA27XK8Q1"), "营业执照和备案回执", staff)
    assert unknown.value.status == 404
    with pytest.raises(ServiceError) as thin:
        market.claim_home_with_documents(operator, imported.id, _code("91330106MA27XK8Q1"), "有", staff)
    assert thin.value.code == "invalid_evidence"
    assert db.session.scalar(sa.select(HomeClaim)) is None
