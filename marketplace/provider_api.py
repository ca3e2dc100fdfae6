"""The provider API under /api/v1/provider, for operators' care-home management systems.

Authentication: OAuth2 client credentials. POST /oauth/token with the client id and secret an operator created
in the portal (/portal/api-clients) returns a bearer token valid for an hour; send it as
`Authorization: Bearer <token>`. Scopes: listings:write (fees), vacancies:write (free beds), inquiries:read.

Retrying writes is safe in two ways: fee items have a natural key (care level, kind, effective date), so the
same items sent twice change nothing; and every write accepts an `Idempotency-Key` header (1-100 characters):
the same key with the same body within 24 hours returns the stored response without applying anything again,
the same key with another body is refused (409 idempotency_key_reused). Only successful writes are stored, so a
request refused with a 4xx may be corrected and retried under the same key.
"""

import json

from flask import jsonify, request
from flask.views import MethodView
from flask_babel import gettext as _

from accounts import idempotency, permissions
from accounts.oauth2 import current_api_client, require_token
from accounts.oauth2_models import sha256_hex
from core.api import Blueprint
from core.errors import ServiceError, error_payload
from core.extensions import api, db
from marketplace import presenters, queries, services
from marketplace.provider_api_schemas import (
    BulkFeesIn,
    BulkFeesOut,
    BulkVacanciesIn,
    BulkVacanciesOut,
    FeesIn,
    FeesOut,
    IdempotencyHeaders,
    InquiryArgs,
    ProviderHomesOut,
    ProviderInquiriesOut,
    VacanciesIn,
    VacanciesOut,
)

blp = Blueprint("provider_api", __name__, url_prefix="/api/v1/provider",
                description="For care-home management systems: fees, vacancies, inquiries (OAuth2 client credentials)")

BEARER_SCHEME = "bearerAuth"
OAUTH2_SCHEME = "providerOAuth2"
_ERRORS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT"}


@blp.record_once
def _document_security(_state):
    """Declare the bearer-token and OAuth2 client-credentials schemes in /openapi.json."""
    schemes = api.spec.components.security_schemes
    if BEARER_SCHEME not in schemes:
        api.spec.components.security_scheme(BEARER_SCHEME, {
            "type": "http", "scheme": "bearer", "bearerFormat": "opaque",
            "description": "An access token from POST /oauth/token (client credentials), valid 3600 s."})
    if OAUTH2_SCHEME not in schemes:
        api.spec.components.security_scheme(OAUTH2_SCHEME, {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "/oauth/token",
            "scopes": {"listings:write": "change fees", "vacancies:write": "set and confirm free beds",
                       "inquiries:read": "read the operator's inquiries"}}}})


def _documented(scope, *errors):
    """Document the security requirement (bearer token; with OAuth2, SCOPE) and the error responses."""
    def decorate(view):
        view = blp.doc(security=[{BEARER_SCHEME: []}, {OAUTH2_SCHEME: [scope] if scope else []}])(view)
        for status in (401, 403, *errors):
            view = blp.alt_response(status, response=_ERRORS[status])(view)
        return view
    return decorate


# --- who may touch which home -------------------------------------------------------------------------------


def _require_verified_operator():
    """Raise 403 unless the current client's operator is verified (only then are its changes published)."""
    client = current_api_client()
    if client.provider is None or client.provider.verified_at is None:
        raise ServiceError(_("Your operator is not verified, so its changes cannot be published."), status=403,
                           code="operator_not_verified")


def _home_for_write(home_id):
    """Return the home the current client may change, or raise 404 / 403 in the one error shape."""
    home = queries.get_home(home_id)
    _require_verified_operator()
    if not permissions.api_client_manages_home(current_api_client(), home):
        raise ServiceError(_("This home is not run by your operator."), status=403, code="not_your_home")
    return home


def _actor():
    return services.Actor(user=None, api_client_id=current_api_client().client_id, channel="api")


# --- idempotency ----------------------------------------------------------------------------------------------


def _request_fingerprint():
    body = request.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256_hex(f"{request.method} {request.path} {canonical}")


def _conflict(code, message):
    return ServiceError(message, {"Idempotency-Key": [message]}, status=409, code=code)


def _replay(record, fingerprint):
    """Return the stored response of RECORD, or raise 409 if the key was used for another request."""
    if record.request_hash != fingerprint:
        raise _conflict("idempotency_key_reused",
                        _("This Idempotency-Key was already used with a different request."))
    if record.response_status is None:
        raise _conflict("idempotency_key_in_progress",
                        _("A request with this Idempotency-Key is still being processed. Retry shortly."))
    response = jsonify(record.response_body)
    response.status_code = record.response_status
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _reserve(client_id, key, fingerprint):
    """Store an in-progress record for KEY, or raise 409 when a concurrent request holds it."""
    record_id = idempotency.reserve(client_id, key, fingerprint)
    if record_id is None:
        raise _conflict("idempotency_key_in_progress",
                        _("A request with this Idempotency-Key is still being processed. Retry shortly."))
    return record_id


def _applied(apply):
    """Run APPLY(); if it is refused, roll back what it left pending so that no later commit can keep it."""
    try:
        return apply()
    except Exception:
        # services.set_fees adds the new rows before its deposit check raises, and does not roll back itself;
        # the inline search drain after the request commits the session, and would publish a refused fee
        db.session.rollback()
        raise


def _once(headers, schema, apply, status_of=None):
    """Run APPLY() and return (payload, status), once per Idempotency-Key (when one is sent) and request body.

    STATUS_OF(payload) gives the status (default 200); a response whose status is not 2xx, or a bulk response
    where nothing was applied, is not stored, so the request may be corrected and retried under the same key.
    """
    status_of = status_of or (lambda _payload: 200)
    key = headers.get("idempotency_key")
    if key is None:
        payload = _applied(apply)
        return payload, status_of(payload)
    client_id, fingerprint = current_api_client().id, _request_fingerprint()
    record = idempotency.existing(client_id, key)
    if record is not None:
        return _replay(record, fingerprint)
    record_id = _reserve(client_id, key, fingerprint)
    try:
        payload = _applied(apply)
    except Exception:
        idempotency.release(record_id)
        raise
    status = status_of(payload)
    if payload.get("succeeded", 1) == 0:  # a bulk call that applied nothing: like a refused request
        idempotency.release(record_id)
        return payload, status
    idempotency.complete(record_id, status, schema().dump(payload))
    return payload, status


# --- endpoints ------------------------------------------------------------------------------------------------


def _fees_payload(home, changes):
    return {"home_id": home.id, "changes": changes, "fees": presenters.fee_table(home),
            "upcoming_fee_changes": presenters.upcoming_changes(home), "prepayment": presenters.prepayment(home)}


def _vacancies_payload(home, changes):
    confirmed = home.vacancy_confirmed_at
    return {"home_id": home.id, "changes": changes, "beds_free": home.beds_free,
            "vacancy_confirmed_at": confirmed.isoformat() if confirmed else None,
            "vacancies": presenters.vacancy_rows(home)}


@blp.route("/homes/<int:home_id>/fees")
class HomeFees(MethodView):
    @require_token("listings:write")
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(FeesIn)
    @blp.response(200, FeesOut)
    @_documented("listings:write", 404, 409)
    def put(self, headers, body, home_id):
        """Add or replace fee items of one of your homes (scope listings:write).

        Amounts are integer fen. An item with a later effective_from is announced to families as an upcoming
        price change. A deposit may not exceed 12 months of the bed fee in effect (deposit_over_limit).
        Optional monthly extras (kinds extra_*) are shown to families beside the fee table and offered in the
        cost estimator; they never count in the all-in monthly price. prepayment_months sets the months the
        home requires paid in advance (over 12 is recorded, and flagged: prepayment.over_limit).
        Returns the fee table in effect today, the upcoming changes and the prepayment requirement.
        """
        home = _home_for_write(home_id)
        prepayment = body.get("prepayment_months", services.UNCHANGED)

        def apply():
            changes = services.set_fees(home, body["items"], _actor(), prepayment_months=prepayment)
            return _fees_payload(home, changes)

        return _once(headers, FeesOut, apply)


@blp.route("/homes/<int:home_id>/vacancies")
class HomeVacancies(MethodView):
    @require_token("vacancies:write")
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(VacanciesIn)
    @blp.response(200, VacanciesOut)
    @_documented("vacancies:write", 404, 409)
    def put(self, headers, body, home_id):
        """Set and confirm free beds per care level of one of your homes (scope vacancies:write).

        The same numbers re-confirm them (the confirmation date families see is renewed).
        """
        home = _home_for_write(home_id)

        def apply():
            changes = services.confirm_vacancies(home, body["free_beds"], _actor())
            return _vacancies_payload(home, changes)

        return _once(headers, VacanciesOut, apply)


# --- bulk updates across an operator's homes ------------------------------------------------------------------


def _bulk(entries, apply_one):
    """Apply APPLY_ONE(home, entry) to each entry's home on its own; return every home's outcome.

    One home's refusal (not yours, unknown, a service rule) rolls back that home only and is reported in the
    one error shape; the others are applied. The status is 200 when every home was applied, else 207.
    """
    _require_verified_operator()
    results = []
    for entry in entries:
        try:
            result = apply_one(_home_for_write(entry["home_id"]), entry)
        except ServiceError as exc:
            db.session.rollback()
            results.append({"home_id": entry["home_id"], "status": exc.status, "result": None,
                            "error": error_payload(exc.code, exc.message, exc.fields)["error"]})
        else:
            results.append({"home_id": entry["home_id"], "status": 200, "result": result, "error": None})
    failed = sum(1 for r in results if r["status"] != 200)
    return {"succeeded": len(results) - failed, "failed": failed, "results": results}


def _bulk_status(payload):
    return 207 if payload["failed"] else 200


_BULK_NOTE = """
Each entry is applied on its own (all-or-nothing per home, never across homes). The response lists every
home's outcome in the order sent: status 200 with the result the single-home endpoint gives, or a 4xx status
with the one error shape's error object. The whole response is 200 when every home was applied, 207
(Multi-Status) when some were refused. A malformed body is a 400 and changes nothing. With an Idempotency-Key
the response is replayed as it was (207 included) unless no home was applied.
"""


@blp.route("/fees")
class BulkFees(MethodView):
    @require_token("listings:write")
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(BulkFeesIn)
    @blp.response(200, BulkFeesOut)
    @blp.alt_response(207, schema=BulkFeesOut, description="Some homes were refused; see each result")
    @_documented("listings:write", 409)
    def put(self, headers, body):
        """Add or replace fee items of many of your homes in one call (scope listings:write).

        Each entry is what PUT /homes/{home_id}/fees takes, plus its home_id.
        """

        def apply_one(home, entry):
            prepayment = entry.get("prepayment_months", services.UNCHANGED)
            changes = services.set_fees(home, entry["items"], _actor(), prepayment_months=prepayment)
            return _fees_payload(home, changes)

        return _once(headers, BulkFeesOut, lambda: _bulk(body["homes"], apply_one), _bulk_status)

    put.__doc__ += _BULK_NOTE


@blp.route("/vacancies")
class BulkVacancies(MethodView):
    @require_token("vacancies:write")
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(BulkVacanciesIn)
    @blp.response(200, BulkVacanciesOut)
    @blp.alt_response(207, schema=BulkVacanciesOut, description="Some homes were refused; see each result")
    @_documented("vacancies:write", 409)
    def put(self, headers, body):
        """Set and confirm free beds of many of your homes in one call (scope vacancies:write).

        Each entry is what PUT /homes/{home_id}/vacancies takes, plus its home_id. Re-sending unchanged
        numbers is cheap: it renews their confirmation and writes no change history.
        """

        def apply_one(home, entry):
            return _vacancies_payload(home, services.confirm_vacancies(home, entry["free_beds"], _actor()))

        return _once(headers, BulkVacanciesOut, lambda: _bulk(body["homes"], apply_one), _bulk_status)

    put.__doc__ += _BULK_NOTE


@blp.route("/homes")
class ProviderHomes(MethodView):
    @require_token()
    @blp.response(200, ProviderHomesOut)
    @_documented(None)
    def get(self):
        """List the homes your operator runs (any valid token)."""
        return {"items": queries.provider_homes(current_api_client().provider_id)}


def _inquiries_for(provider_id, status):
    """Return the operator's inquiries, or None while the inquiries package offers no query for them."""
    try:
        from inquiries import queries as inquiry_queries
    except ImportError:
        return None
    for_provider = getattr(inquiry_queries, "for_provider", None)
    return None if for_provider is None else for_provider(provider_id, status=status)


def _iso(value):
    return value.isoformat() if value is not None else None


def _inquiry_row(inquiry):
    return {"id": inquiry.id, "reference": inquiry.reference, "home_id": inquiry.home_id, "kind": inquiry.kind,
            "status": inquiry.status, "awaiting_provider": inquiry.awaiting_provider,
            "visit_date": _iso(inquiry.visit_date), "time_slot": inquiry.time_slot, "care_level": inquiry.care_level,
            "contact": {"name": inquiry.contact_name, "phone": inquiry.contact_phone, "email": inquiry.contact_email},
            "messages": [{"author_role": m.author_role, "body": m.body, "created_at": _iso(m.created_at)}
                         for m in inquiry.messages],
            "created_at": _iso(inquiry.created_at), "updated_at": _iso(inquiry.updated_at)}


@blp.route("/inquiries")
class ProviderInquiries(MethodView):
    @require_token("inquiries:read")
    @blp.arguments(InquiryArgs, location="query")
    @blp.response(200, ProviderInquiriesOut)
    @_documented("inquiries:read")
    def get(self, args):
        """List inquiries and visit bookings families sent to your homes (scope inquiries:read).

        Unanswered ones first, then the most recently active.
        """
        found = _inquiries_for(current_api_client().provider_id, args.get("status"))
        return {"items": [_inquiry_row(i) for i in found or []], "available": found is not None}
