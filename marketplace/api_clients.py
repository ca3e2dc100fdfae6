"""Portal pages where an operator's staff list, create and revoke API clients for the provider API.

A new client's secret is shown once, on the page that answers the creation (never stored in the session, never
shown again): only its SHA-256 is kept.
"""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from accounts import oauth2, permissions
from accounts.oauth2_models import SCOPES, ApiClient
from core.errors import ServiceError
from core.extensions import db

bp = Blueprint("api_clients", __name__, url_prefix="/portal/api-clients", template_folder="templates")

SCOPE_LABELS = {
    "listings:write": _l("Change fees (listings:write)"),
    "vacancies:write": _l("Set and confirm free beds (vacancies:write)"),
    "inquiries:read": _l("Read inquiries (inquiries:read)"),
}


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CreateClientForm(FlaskForm):
    name = StringField(_l("Name of the system"), validators=[DataRequired(), Length(max=oauth2.CLIENT_NAME_MAX)],
                       description=_l("For example the name of your management software, so you can tell clients "
                                      "apart."))
    scopes = _Checkboxes(_l("What it may do"), choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
                         validators=[DataRequired(message=_l("Choose at least one permission."))])


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking needs no other input."""


def _require_staff():
    if not permissions.is_operator_staff(current_user):
        abort(403)


def _render_list(form, status=200):
    clients = oauth2.clients_of(current_user.provider_id)
    page = render_template("api_clients/list.html", clients=clients, form=form, revoke_form=RevokeForm(),
                           can_create=permissions.can_create_api_clients(current_user), scope_labels=SCOPE_LABELS)
    return page, status


@bp.route("/")
@login_required
def index():
    """List the operator's API clients, with the form to create one."""
    _require_staff()
    return _render_list(CreateClientForm())


@bp.route("/", methods=["POST"])
@login_required
def create():
    """Create an API client and show its secret, this once."""
    _require_staff()
    if not permissions.can_create_api_clients(current_user):
        abort(403)
    form = CreateClientForm()
    if not form.validate_on_submit():
        return _render_list(form, 400)
    try:
        client, secret = oauth2.create_api_client(current_user.provider, form.name.data, form.scopes.data,
                                                  current_user)
    except ServiceError as error:
        for field, messages in error.fields.items():
            getattr(form, field).errors = list(messages)
        return _render_list(form, error.status)
    response = make_response(render_template("api_clients/created.html", client=client, secret=secret,
                                             scope_labels=SCOPE_LABELS))
    response.headers["Cache-Control"] = "no-store"  # the secret must not be kept by any cache
    return response


@bp.route("/<int:client_pk>/revoke", methods=["POST"])
@login_required
def revoke(client_pk):
    """Revoke an API client: its tokens stop working at once."""
    _require_staff()
    client = db.get_or_404(ApiClient, client_pk)
    if not permissions.manages_api_client(current_user, client):
        abort(403)
    if not RevokeForm().validate_on_submit():
        abort(400)
    oauth2.revoke_api_client(client, current_user)
    flash(_("API client “%(name)s” revoked. Its tokens no longer work.", name=client.name), "success")
    return redirect(url_for(".index"))
