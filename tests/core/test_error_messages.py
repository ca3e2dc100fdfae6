"""What users see of a failure: translated messages, never a host, port, path or an engine's own words."""

import pytest

from core.errors import SearchUnavailable


@pytest.fixture
def engine_down(app):
    """The search backend pointed at a port where nothing listens (refused at once)."""
    from search.backend import current_backend

    app.config.update(SEARCH_BACKEND="opensearch", ELASTICSEARCH_URL="http://127.0.0.1:9", SEARCH_TIMEOUT_S=1)
    app.extensions.pop("search_backend", None)
    try:
        current_backend()
    except ImportError:
        pytest.skip("the OpenSearch client is not installed")
    return app


def test_the_search_down_503_names_no_host_or_port(engine_down, client, caplog):
    for url, lang in (("/api/v1/homes?q=养老", "zh-CN"), ("/?q=养老", "zh-CN"), ("/api/v1/homes?lang=en", "en")):
        response = client.get(url, headers={"Accept-Language": lang})
        text = response.get_data(as_text=True)
        assert response.status_code == 503, (url, text[:300])
        assert "127.0.0.1" not in text and ":9" not in text and "Connection" not in text, text[:500]
        shown = response.get_json()["error"]["message"] if response.is_json else text
        assert ("搜索服务暂时不可用" in shown) if lang == "zh-CN" else ("Search is temporarily unavailable" in shown)


def test_search_unavailable_keeps_its_detail_for_the_log_only(app):
    error = SearchUnavailable("search engine unreachable while searching: http://es1:9200 refused")
    assert "es1:9200" in str(error)  # the CLI and the log see the detail
    import flask_babel

    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        assert str(error.message) == "Search is temporarily unavailable. Please try again in a moment."
    with app.test_request_context("/"):
        flask_babel.refresh()
        assert str(error.message) == "搜索服务暂时不可用，请稍后再试。"


@pytest.mark.parametrize(("status", "url", "method"), [(404, "/api/v1/nothing-here", "GET"),
                                                       (405, "/api/v1/regions", "DELETE")])
def test_http_errors_reach_users_translated(client, status, url, method):
    zh = client.open(url, method=method, headers={"Accept-Language": "zh-CN"})
    en = client.open(url, method=method, headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == status
    assert zh.get_json()["error"]["message"] != en.get_json()["error"]["message"]
    assert "The requested URL" not in zh.get_json()["error"]["message"]
