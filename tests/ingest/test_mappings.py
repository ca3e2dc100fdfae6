"""Mapping without a deploy: detected columns, a preview of the first rows normalised, a saved named source of
the regulator's jurisdiction with its history, and TOML export/import through the CLI."""

import sqlalchemy as sa

from core.extensions import db
from ingest.models import SourceMapping, SourceMappingVersion
from marketplace.models import Home
from tests.factories import login_as, make_user
from tests.ingest.test_directory import write_csv

ODD_HEADER = ["养老单位", "所处位置", "核定床位(张)", "服务热线", "收住对象"]
ODD_ROWS = [["徐汇康乐养老院", "上海市徐汇区虹漕路461号", "150", "021-64000000", "自理、介助"],
            ["闸北颐养院", "上海市闸北区共和新路2号", "", "", "介护"]]
CHOICES = {"col-0": "name", "col-1": "address", "col-2": "beds_total", "col-3": "phone", "col-4": ""}


def _upload(client, path, source="directory"):
    with open(path, "rb") as fh:
        page = client.get("/regulator/imports/")
        token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        return client.post("/regulator/imports/", data={"csrf_token": token, "source": source,
                                                        "file": (fh, path.name)},
                           content_type="multipart/form-data")


def _token(client, url):
    return client.get(url).get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_unrecognised_headers_lead_to_the_mapping_page_whose_saved_source_imports_the_next_file(app, client,
                                                                                                 tmp_path):
    regulator = make_user("regulator", jurisdiction="310000")
    login_as(client, regulator)
    first = _upload(client, write_csv(tmp_path / "odd1.csv", ODD_HEADER, ODD_ROWS))
    assert first.status_code == 302 and "/mapping" in first.headers["Location"]
    url = first.headers["Location"]
    page = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "养老单位" in page and "所处位置" in page
    data = {"csrf_token": _token(client, url), **CHOICES, "price_unit": "month", "label": "徐汇区名单",
            "code": "xuhui-list", "action": "preview"}
    preview = client.post(url, data=data, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'id="mapping-preview"' in preview and "徐汇区" in preview and "静安区" in preview
    assert db.session.scalar(sa.select(SourceMapping)) is None  # a preview saves nothing
    saved = client.post(url, data={**data, "action": "save"})
    assert saved.status_code == 302 and "/runs/" in saved.headers["Location"]
    mapping = db.session.scalar(sa.select(SourceMapping))
    assert (mapping.code, mapping.jurisdiction_code, mapping.version) == ("xuhui-list", "310000", 1)
    assert _home("徐汇康乐养老院").beds_total == 150 and _home("闸北颐养院").beds_total is None
    assert _home("闸北颐养院").district_code == "310106"
    second = _upload(client, write_csv(tmp_path / "odd2.csv", ODD_HEADER, [["长宁夕阳红", "长宁区愚园路1号", "80",
                                                                            "", ""]]), source="xuhui-list")
    assert second.status_code == 302 and "/runs/" in second.headers["Location"]
    home = _home("长宁夕阳红")
    assert home.district_code == "310105" and home.beds_total == 80


def test_a_regulator_cannot_map_another_users_file_or_take_another_jurisdictions_code(app, client, tmp_path):
    from ingest import mappings

    owner = make_user("regulator", jurisdiction="310000")
    mappings.save_mapping("shared-code", "上海名单", mappings.spec_from_targets({"名称": "name"}), owner)
    other = make_user("regulator", jurisdiction="320000")
    import pytest

    from core.errors import ServiceError

    with pytest.raises(ServiceError) as taken:
        mappings.save_mapping("shared-code", "江苏名单", mappings.spec_from_targets({"名称": "name"}), other)
    assert taken.value.status == 409
    with pytest.raises(ServiceError):
        mappings.save_mapping("directory", "x", mappings.spec_from_targets({"名称": "name"}), other)
    assert mappings.mappings_for(other) == []


def test_a_mapping_round_trips_through_toml_with_its_history(app, runner, tmp_path):
    from ingest import mappings

    admin = make_user("admin")
    spec = mappings.spec_from_targets({"养老单位": "name", "所处位置": "address", "月费": "fee.bed.all"})
    mappings.save_mapping("odd-list", "某市名单", spec, admin)
    out = tmp_path / "odd.toml"
    result = runner.invoke(args=["ingest", "mapping-export", "odd-list", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert 'code = "odd-list"' in text and "养老单位" in text
    changed = text.replace("某市名单", "某市名单（修订）")
    (tmp_path / "odd2.toml").write_text(changed, encoding="utf-8")
    result = runner.invoke(args=["ingest", "mapping-import", str(tmp_path / "odd2.toml"), "--as", admin.email])
    assert result.exit_code == 0, result.output
    mapping = db.session.scalar(sa.select(SourceMapping).where(SourceMapping.code == "odd-list"))
    db.session.refresh(mapping)
    assert mapping.label == "某市名单（修订）" and mapping.version == 2
    versions = db.session.scalars(sa.select(SourceMappingVersion.version).order_by(SourceMappingVersion.version))
    assert list(versions) == [1, 2]
    bad = tmp_path / "bad.toml"
    bad.write_text("code = [", encoding="utf-8")
    result = runner.invoke(args=["ingest", "mapping-import", str(bad), "--as", admin.email])
    assert result.exit_code != 0 and "Traceback" not in result.output


def _home(name):
    return db.session.scalar(sa.select(Home).where(Home.name == name))
