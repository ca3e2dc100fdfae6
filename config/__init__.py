"""Settings: base defaults, development, testing, production; every value overridable by env vars."""

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


class BaseConfig:
    SECRET_KEY = _env("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'yrd.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # provider API: an Idempotency-Key reservation whose request never stored its response (its worker died
    # between the write's commit and the response's) lapses after this long; longer than any request runs
    IDEMPOTENCY_PENDING_S = int(_env("IDEMPOTENCY_PENDING_S", "120"))
    # SQLite only (WAL is always on): how long a write waits for another writer before answering 503
    SQLITE_BUSY_TIMEOUT_MS = int(_env("SQLITE_BUSY_TIMEOUT_MS", "10000"))
    # search: "embedded" (default, in process), "elasticsearch" or "opensearch"
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "embedded")
    SEARCH_INDEX_PATH = _env("SEARCH_INDEX_PATH", str(INSTANCE / "search-index.sqlite3"))
    # the engine's address: ELASTICSEARCH_URL, or OPENSEARCH_URL (ELASTICSEARCH_URL wins when both are set)
    ELASTICSEARCH_URL = _env("ELASTICSEARCH_URL") or _env("OPENSEARCH_URL")
    SEARCH_INDEX_ALIAS = _env("SEARCH_INDEX_ALIAS", "yrd-homes")
    # "inline": drain the outbox right after each request that wrote; "worker": leave it to `flask search worker`
    SEARCH_SYNC = _env("SEARCH_SYNC", "inline")
    SEARCH_TIMEOUT_S = float(_env("SEARCH_TIMEOUT_S", "5"))  # per request of writes and reindexing (retried)
    SEARCH_BUDGET_S = float(_env("SEARCH_BUDGET_S", "2"))  # one search, in total; then 503 and a breaker opens
    # OpenSearch/Elasticsearch: count facets in a size-0 request the node's request cache keeps (one more round
    # trip per search, each within the budget); pays where the same broad searches repeat (README: search)
    SEARCH_FACET_REQUEST_CACHE = _env("SEARCH_FACET_REQUEST_CACHE", "0") in ("1", "true", "yes")
    # map tiles: none by default (markers on a blank base layer); AMap/Tencent tiles want GCJ-02
    MAP_TILE_URL = _env("MAP_TILE_URL")
    MAP_TILE_ATTRIBUTION = _env("MAP_TILE_ATTRIBUTION", "")
    MAP_TILE_CRS = _env("MAP_TILE_CRS", "wgs84")  # wgs84 | gcj02
    # or a preset (marketplace/maps.py, docs/maps.md): tianditu (needs MAP_TILE_KEY), amap, osm; none: an offline
    # base layer of city and province names from the gazetteer
    MAP_TILE_PROVIDER = _env("MAP_TILE_PROVIDER", "")
    MAP_TILE_KEY = _env("MAP_TILE_KEY", "")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    # business dates ("today", the price in effect) and the times pages show are read in this zone (core.time)
    BUSINESS_TIME_ZONE = _env("BUSINESS_TIME_ZONE", "Asia/Shanghai")
    BABEL_DEFAULT_TIMEZONE = BUSINESS_TIME_ZONE
    LANGUAGES = ("zh_CN", "en")
    REDIS_URL = _env("REDIS_URL")
    # shared by every worker (Redis); memory:// keeps one counter per worker, so production refuses it
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or _env("REDIS_URL", "memory://")
    # operations (ops/): logs as text or one JSON object a line; one line per request when LOG_REQUESTS
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    LOG_REQUESTS = _env("LOG_REQUESTS", "0") in ("1", "true", "yes")
    # notifications: SMTP (Flask-Mailman), the SMS sender, the public address links in messages start with
    MAIL_SERVER = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "0") in ("1", "true", "yes")
    MAIL_USE_SSL = _env("MAIL_USE_SSL", "0") in ("1", "true", "yes")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "长三角养老比选 <no-reply@localhost>")
    MAIL_BACKEND = _env("MAIL_BACKEND", "console")  # smtp in production; console prints messages (development)
    SMS_SENDER = _env("SMS_SENDER", "notify.sms.LogSmsSender")
    SMS_SIGN_NAME = _env("SMS_SIGN_NAME")
    SMS_ACCESS_KEY_ID = _env("SMS_ACCESS_KEY_ID")
    SMS_ACCESS_KEY_SECRET = _env("SMS_ACCESS_KEY_SECRET")
    SMS_TEMPLATES = json.loads(_env("SMS_TEMPLATES", "{}"))  # {"visit_confirmed": "SMS_123456789", ...}
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL")
    READINESS_TIMEOUT_S = float(_env("READINESS_TIMEOUT_S", "2"))
    READINESS_OUTBOX_MAX_AGE_S = float(_env("READINESS_OUTBOX_MAX_AGE_S", "60"))
    # /metrics: open in development; in production only with METRICS_TOKEN or from METRICS_ALLOW (CIDRs)
    METRICS_TOKEN = _env("METRICS_TOKEN")
    METRICS_ALLOW = _env("METRICS_ALLOW")
    RATELIMIT_HEADERS_ENABLED = True
    VACANCY_STALE_DAYS = 14
    # business days (core.time) the current operator of a home has to dispute an approved claim on it
    CLAIM_DISPUTE_DAYS = int(_env("CLAIM_DISPUTE_DAYS", "14"))
    API_CLIENT_SECRET_DAYS = int(_env("API_CLIENT_SECRET_DAYS", "365"))  # a provider API secret's life
    API_CLIENT_EXPIRY_NOTICE_DAYS = int(_env("API_CLIENT_EXPIRY_NOTICE_DAYS", "14"))  # warn the operator this early
    COMPARE_MAX = 4
    API_TITLE = "YRD Care Compare API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "api/docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    JSON_SORT_KEYS = False
    # request bodies: 1 MiB everywhere, except the upload routes that declare a larger limit (core.inputs.body_limit)
    MAX_CONTENT_LENGTH = int(_env("MAX_CONTENT_LENGTH", str(1024 * 1024)))
    INGEST_UPLOAD_MAX_BYTES = int(_env("INGEST_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))  # bureau lists, CSV/XLSX
    # provider photos: re-encoded JPEGs with random names, outside the static folder, served by a view
    PHOTO_DIR = _env("PHOTO_DIR", str(INSTANCE / "photos"))
    # accounts: login throttling and lockout, password reset delivery, optional OpenID Connect single sign-on
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10/minute")  # per IP and per identifier, on the login POST
    SIGNUP_RATE_LIMIT = _env("SIGNUP_RATE_LIMIT", "20/hour")  # per IP
    PASSWORD_RESET_RATE_LIMIT = _env("PASSWORD_RESET_RATE_LIMIT", "5/minute")  # per IP and per identifier
    LOGIN_LOCKOUT_THRESHOLD = int(_env("LOGIN_LOCKOUT_THRESHOLD", "5"))  # consecutive failures
    LOGIN_LOCKOUT_MINUTES = int(_env("LOGIN_LOCKOUT_MINUTES", "15"))
    # dotted path of the class that delivers reset links; the default writes them to the log (development only)
    PASSWORD_RESET_SENDER = _env("PASSWORD_RESET_SENDER", "accounts.senders.LogSender")
    # the public address reset links start with (e.g. https://care.example.cn); unset: the request's own host
    PASSWORD_RESET_BASE_URL = _env("PASSWORD_RESET_BASE_URL")
    OIDC_ISSUER = _env("OIDC_ISSUER")  # e.g. https://sso.example.cn/realms/yrd; unset: no "Sign in with SSO"
    OIDC_CLIENT_ID = _env("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = _env("OIDC_CLIENT_SECRET")


class DevelopmentConfig(BaseConfig):
    DEBUG = False


class TestingConfig(BaseConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    SEARCH_INDEX_PATH = None  # tests give each app its own file
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    ARGON2_FAST = True  # argon2id with minimal cost: the suite creates many users; production keeps the default
    OIDC_ISSUER = None  # single sign-on only where a test starts its own provider
    PASSWORD_RESET_BASE_URL = None
    MAIL_BACKEND = "locmem"  # messages kept in flask_mailman's outbox; tests/notify use a real SMTP server too
    SMS_SENDER = "notify.sms.CollectingSmsSender"
    INGEST_BATCH_SECONDS = 60  # tests count rows per batch; tests/core/test_database_busy.py sets its own


class ProductionConfig(BaseConfig):
    MAIL_BACKEND = _env("MAIL_BACKEND", "smtp")
    SESSION_COOKIE_SECURE = True
    SEARCH_SYNC = _env("SEARCH_SYNC", "worker")
    # how many proxies (nginx, a load balancer) stand in front: their X-Forwarded-* headers are trusted, so rate
    # limits and logs see the client's address, not the proxy's
    PROXY_FIX_HOPS = int(_env("PROXY_FIX_HOPS", "1"))
    HSTS_MAX_AGE = int(_env("HSTS_MAX_AGE", "31536000"))  # a year; 0 turns HSTS off (only behind plain HTTP)
    REQUIRED = ("SECRET_KEY", "PASSWORD_RESET_SENDER", "PASSWORD_RESET_BASE_URL", "RATELIMIT_STORAGE_URI")
    LOG_FORMAT = _env("LOG_FORMAT", "json")
    LOG_REQUESTS = _env("LOG_REQUESTS", "1") in ("1", "true", "yes")
    METRICS_ALLOW = _env("METRICS_ALLOW", "127.0.0.1/32,::1/128")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name=None):
    """Return the settings class for NAME (default: $APP_CONFIG, else development)."""
    return CONFIGS[name or _env("APP_CONFIG", "development")]
