"""The provider portal: operator sign-up, home claims, and per home the listing, fees, free beds, photos,
change history and a dashboard.

Views parse the form, ask accounts.permissions, call a service and render. Publishing rule: a change made
here is live at once, so an operator a regulator has not verified yet may look at everything but change
nothing (403 with an explanation) until it is verified; claiming homes is allowed, since that is how
verification starts.
"""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from core import time
from core.errors import ServiceError
from core.extensions import db, login_manager
from core.forms import show_service_error
from core.inputs import body_limit
from core.vocab import CARE_LEVELS
from marketplace import photos, presenters, pricing, queries, services, vocab
from marketplace.models import Home, HomeClaim
from marketplace.portal_forms import (
    ClaimForm,
    ConfirmForm,
    DisputeForm,
    DocumentClaimForm,
    FeeForm,
    ListingForm,
    OperatorForm,
    PhotoForm,
    PrepaymentForm,
    fen_to_yuan,
    vacancy_form_class,
)
from marketplace.portal_models import HomePhoto, HomeView  # noqa: F401  (registers the tables)

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

STATS_MONTHS = 12
HISTORY_LIMIT = 200
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields around the photo


# --- helpers -----------------------------------------------------------------------------------------


def _actor():
    return services.Actor(current_user, channel="portal")


def _managed_home(home_id):
    """Return the home HOME_ID if the signed-in user may edit it; 404 if unknown, 403 if not theirs."""
    home = db.get_or_404(Home, home_id)
    if not permissions.can_edit_home(current_user, home):
        abort(403, description=_("This home is run by another operator."))
    return home


def _require_publish():
    """Refuse a change (403) while the user's operator is not verified by a regulator."""
    if not permissions.can_publish(current_user):
        abort(403, description=_("Your operator has not been verified by a regulator yet. Until it is, you can "
                                 "look at your listings but not change them."))


def _dispute_forms(claims, failed=None):
    return {row["claim"].id: failed if failed is not None and failed.claim_id == row["claim"].id
            else DisputeForm(prefix=f"dispute{row['claim'].id}", formdata=None) for row in claims}


@bp.app_template_filter("fen_as_yuan_input")
def _fen_as_yuan_input(fen):
    return "" if fen is None else f"{fen_to_yuan(fen):.2f}"


@bp.context_processor
def _portal_context():
    return {"care_level_options": [(c, vocab.label(vocab.CARE_LEVEL_LABELS, c)) for c in CARE_LEVELS],
            "kind_label": lambda k: vocab.label(vocab.FEE_KIND_LABELS, k),
            "can_publish": permissions.can_publish(current_user)}


# --- operator sign-up and claims ---------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an operator account for a signed-in family user, who becomes its staff."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # as roles_required does: the login page, then back here
    if current_user.role == "provider" and current_user.provider_id:
        return redirect(url_for(".dashboard"))
    if current_user.role != "family":
        abort(403, description=_("Only a family account can be turned into an operator account."))
    form = OperatorForm()
    if form.validate_on_submit():
        try:
            services.create_provider(form.name.data, current_user)
        except ServiceError as exc:
            show_service_error(form, exc, unknown_on="name")
        else:
            flash(_("Your operator account is ready. Claim your homes by their filing numbers."), "success")
            return redirect(url_for(".claims"))
    return render_template("portal/register.html", form=form), 400 if form.errors else 200


@bp.route("/claims", methods=["GET", "POST"])
@roles_required("provider")
def claims():
    """Claim a home by its filing number, or one listed without (?home=ID) with the operator's credit code and
    documents; and see the operator's claims and how they were decided."""
    if current_user.provider_id is None:
        return redirect(url_for(".register"))
    home = _home_without_licence(request.values.get("home", type=int))
    form, documents = ClaimForm(), DocumentClaimForm(prefix="doc") if home else None
    if documents is not None and documents.submit.data and documents.validate_on_submit():
        try:
            services.claim_home_with_documents(current_user.provider, home.id, documents.credit_code.data,
                                               documents.evidence.data, current_user)
        except ServiceError as exc:
            show_service_error(documents, exc, unknown_on="credit_code")
        else:
            flash(_("Your claim was sent. A regulator of the home's city or province will decide it."), "success")
            return redirect(url_for(".claims"))
    elif (documents is None or not documents.submit.data) and form.validate_on_submit():
        try:
            services.claim_home(current_user.provider, form.licence_no.data, current_user)
        except ServiceError as exc:
            show_service_error(form, exc, unknown_on="licence_no")
        else:
            flash(_("Your claim was sent. A regulator of the home's city or province will decide it."), "success")
            return redirect(url_for(".claims"))
    failed = form.errors or (documents is not None and documents.errors)
    claims = queries.own_claims(current_user.provider_id)
    return render_template("portal/claims.html", form=form, documents=documents, home=home,
                           claims=claims), 400 if failed else 200


def _home_without_licence(home_id):
    """Return the home HOME_ID when it has no filing number (claimed with documents), else None."""
    home = db.session.get(Home, home_id) if home_id else None
    return home if home is not None and not home.licence_no else None


# --- dashboard ---------------------------------------------------------------------------------------


@bp.route("/")
def dashboard():
    """List the operator's homes with their prices, free beds and how fresh those are."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # as roles_required does: the login page, then back here
    if current_user.role == "family":
        return redirect(url_for(".register"))
    if current_user.role != "provider":
        abort(403)
    return _render_dashboard()


def _render_dashboard(failed_dispute=None, status=200, error=None):
    homes = [_dashboard_row(h) for h in queries.own_homes(current_user.provider_id)]
    pending = [c for c in queries.own_claims(current_user.provider_id) if c["claim"].status == "pending"]
    against = queries.claims_on_homes_of(current_user.provider_id)
    return render_template("portal/dashboard.html", homes=homes, pending_claims=pending,
                           provider=current_user.provider, claims_against=against,
                           dispute_forms=_dispute_forms(against, failed_dispute), dispute_error=error), status


@bp.route("/claims/<int:claim_id>/dispute", methods=["POST"])
@roles_required("provider")
def dispute_claim(claim_id):
    """Dispute, as the operator now running the home, a claim a regulator approved on it."""
    claim = db.get_or_404(HomeClaim, claim_id)
    if current_user.provider_id is None or claim.previous_provider_id != current_user.provider_id:
        abort(403, description=_("This claim does not concern a home your operator runs."))
    form = DisputeForm(prefix=f"dispute{claim.id}")
    form.claim_id = claim.id
    if form.validate_on_submit():
        try:
            services.dispute_claim(claim, current_user, form.note.data)
        except ServiceError as exc:
            show_service_error(form, exc, unknown_on="note")
            return _render_dashboard(failed_dispute=form, status=exc.status, error=exc.message)
        else:
            flash(_("Your dispute was sent. The home stays with your operator until a regulator decides."),
                  "success")
            return redirect(url_for(".dashboard"))
    return _render_dashboard(failed_dispute=form, status=400)


def _dashboard_row(home):
    confirmed = home.vacancy_confirmed_at
    return {"home": home, "prices": home.monthly_prices(), "beds_free": home.beds_free,
            "confirmed_at": confirmed, "stale": presenters.is_stale(confirmed),
            "upcoming": len(home.upcoming_fees())}


@bp.route("/homes/<int:home_id>")
@roles_required("provider", "admin")
def home_overview(home_id):
    """Show one home's dashboard: views, inquiries, visits and rating per month."""
    home = _managed_home(home_id)
    return render_template("portal/home.html", home=home, summary=_dashboard_row(home), stats=home_stats(home.id))


def _months(today, n=STATS_MONTHS):
    """Return the last N months as 'YYYY-MM', oldest first, ending with TODAY's month."""
    year, month, out = today.year, today.month, []
    for _i in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _inquiries_by_month(home_id):
    try:
        from inquiries.queries import counts_by_month
    except ImportError:  # the inquiries package may not offer its queries yet: show zeros
        return {}
    return counts_by_month([home_id]) or {}


def _ratings_by_month(home_id, since):
    from reviews.queries import ratings_by_month

    return ratings_by_month(home_id, since)


def home_stats(home_id, today=None):
    """Return one row per month of the last year: page views, inquiries, visits, reviews and their average."""
    months = _months(today or time.today())
    since = date.fromisoformat(months[0] + "-01")
    views, asks, ratings = queries.views_by_month(home_id, since), _inquiries_by_month(home_id), \
        _ratings_by_month(home_id, since)
    return [{"month": m, "views": views.get(m, 0), "inquiries": (asks.get(m) or {}).get("inquiry", 0),
             "visits": (asks.get(m) or {}).get("visit", 0), "reviews": len(ratings.get(m, [])),
             "rating": round(sum(ratings[m]) / len(ratings[m]), 2) if ratings.get(m) else None}
            for m in reversed(months)]


# --- listing -----------------------------------------------------------------------------------------


@bp.route("/homes/<int:home_id>/listing", methods=["GET", "POST"])
@roles_required("provider", "admin")
def listing(home_id):
    """Edit the listing: descriptions, English name and address, services, what is included, contact."""
    home = _managed_home(home_id)
    if request.method == "POST":
        _require_publish()
    form = ListingForm(obj=home)
    if form.validate_on_submit():
        try:
            changes = services.update_listing(home, form.values(), _actor())
        except ServiceError as exc:
            show_service_error(form, exc, unknown_on="submit")
        else:
            flash(_("Listing saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for(".listing", home_id=home.id))
    return render_template("portal/listing.html", home=home, form=form), 400 if form.errors else 200


# --- fees --------------------------------------------------------------------------------------------


def _fee_forms(home, posted_level=None, posted_form=None):
    current = home.current_fees()
    forms = {}
    for level in CARE_LEVELS:
        if level == posted_level:
            forms[level] = posted_form
            continue
        fees = current.get(level, {})
        data = {kind: fen_to_yuan(fees[kind].amount_fen) if kind in fees else None for kind in FeeForm.KINDS}
        forms[level] = FeeForm(prefix=level, formdata=None, data={**data, "effective_from": time.today()})
    return forms


def price_history(home):
    """Return one row per care level and date its fees changed: bed, care, meals, monthly total, deposit."""
    rows = []
    for level in CARE_LEVELS:
        dates = sorted({f.effective_from for f in home.fee_items if f.care_level == level}, reverse=True)
        for on in dates:
            fees = pricing.current_fees(home.fee_items, on).get(level, {})
            rows.append({"care_level": level, "effective_from": on, "upcoming": on > time.today(),
                         **{f"{k}_fen": fees[k].amount_fen if k in fees else None for k in FeeForm.KINDS},
                         "monthly_fen": pricing.monthly_price(fees)})
    return sorted(rows, key=lambda r: (r["effective_from"], CARE_LEVELS.index(r["care_level"])), reverse=True)


def _prepayment_form(home, posted=None):
    return posted or PrepaymentForm(formdata=None, data={"prepayment_months": home.prepayment_months})


def _render_fees(home, forms, status=200, prepayment_form=None):
    return render_template("portal/fees.html", home=home, forms=forms, fees=presenters.fee_table(home),
                           upcoming=presenters.upcoming_changes(home), history=price_history(home),
                           prepayment=presenters.prepayment(home),
                           prepayment_form=_prepayment_form(home, prepayment_form)), status


@bp.route("/homes/<int:home_id>/fees")
@roles_required("provider", "admin")
def fees(home_id):
    """Show the fee editor: one form per care level, current fees, announced changes, price history."""
    home = _managed_home(home_id)
    return _render_fees(home, _fee_forms(home))


@bp.route("/homes/<int:home_id>/fees/<level>", methods=["POST"])
@roles_required("provider", "admin")
def set_fees(home_id, level):
    """Set one care level's fees from a date (today: now; later: an announced price change)."""
    home = _managed_home(home_id)
    if level not in CARE_LEVELS:
        abort(404)
    _require_publish()
    form = FeeForm(prefix=level)
    if form.validate_on_submit():
        try:
            changes = services.set_fees(home, form.items(level), _actor())
        except ServiceError as exc:
            db.session.rollback()  # the service may have added rows before refusing
            home = _managed_home(home_id)
            show_service_error(form, exc, unknown_on="submit")
        else:
            flash(_("Fees saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for(".fees", home_id=home.id) + f"#fees-{level}")
    return _render_fees(home, _fee_forms(home, level, form), 400)


@bp.route("/homes/<int:home_id>/prepayment", methods=["POST"])
@roles_required("provider", "admin")
def set_prepayment(home_id):
    """Set the months of fees the home requires paid in advance (over 12: recorded, and flagged to families)."""
    home = _managed_home(home_id)
    _require_publish()
    form = PrepaymentForm()
    if form.validate_on_submit():
        try:
            changes = services.set_fees(home, [], _actor(), prepayment_months=form.prepayment_months.data)
        except ServiceError as exc:
            db.session.rollback()
            home = _managed_home(home_id)
            show_service_error(form, exc, unknown_on="submit")
        else:
            flash(_("Prepayment requirement saved.") if changes else _("Nothing changed."), "success")
            if pricing.prepayment_over_limit(home.prepayment_months):
                flash(_("More than 12 months paid in advance exceeds the 2024 national limit; families will see "
                        "this flagged."), "warning")
            return redirect(url_for(".fees", home_id=home.id) + "#prepayment")
    return _render_fees(home, _fee_forms(home), 400, prepayment_form=form)


# --- vacancies ---------------------------------------------------------------------------------------


def _vacancy_form(home, formdata=True):
    form_class = vacancy_form_class()
    if formdata:
        return form_class(prefix="beds")
    return form_class(prefix="beds", formdata=None, data={v.care_level: v.beds_free for v in home.vacancies})


def _render_vacancies(home, form, status=200):
    return render_template("portal/vacancies.html", home=home, form=form, confirm_form=ConfirmForm(prefix="confirm"),
                           vacancies=presenters.vacancy_rows(home),
                           stale_days=current_app.config["VACANCY_STALE_DAYS"]), status


@bp.route("/homes/<int:home_id>/vacancies", methods=["GET", "POST"])
@roles_required("provider", "admin")
def vacancies(home_id):
    """Set free beds per care level; saving confirms them as of now."""
    home = _managed_home(home_id)
    if request.method == "GET":
        return _render_vacancies(home, _vacancy_form(home, formdata=False))
    _require_publish()
    form = _vacancy_form(home)
    if form.validate_on_submit():
        free = {level: getattr(form, level).data for level in CARE_LEVELS if getattr(form, level).data is not None}
        if not free:
            form.submit.errors = [_("Give the free beds of at least one care level.")]
        else:
            try:
                services.confirm_vacancies(home, free, _actor())
            except ServiceError as exc:
                db.session.rollback()
                home = _managed_home(home_id)
                show_service_error(form, exc, unknown_on="submit")
            else:
                flash(_("Free beds saved and confirmed."), "success")
                return redirect(url_for(".vacancies", home_id=home.id))
    return _render_vacancies(home, form, 400)


@bp.route("/homes/<int:home_id>/vacancies/confirm", methods=["POST"])
@roles_required("provider", "admin")
def confirm_vacancies(home_id):
    """Re-confirm the free beds as they are (one click): the numbers stay, the confirmation date is now."""
    home = _managed_home(home_id)
    _require_publish()
    form = ConfirmForm(prefix="confirm")
    free = {v.care_level: v.beds_free for v in home.vacancies}
    if form.validate_on_submit() and free:
        services.confirm_vacancies(home, free, _actor())
        flash(_("Free beds confirmed as of now."), "success")
        return redirect(url_for(".vacancies", home_id=home.id))
    form = _vacancy_form(home, formdata=False)
    form.submit.errors = [_("There are no free-bed numbers to confirm yet: enter them first.")] if not free else \
        [_("The form expired. Please try again.")]
    return _render_vacancies(home, form, 400)


# --- history -----------------------------------------------------------------------------------------


@bp.route("/homes/<int:home_id>/history")
@roles_required("provider", "admin")
def history(home_id):
    """Show who changed what and when, through which channel, and every price the home has had."""
    home = _managed_home(home_id)
    changes = queries.listing_changes(home.id, HISTORY_LIMIT)
    return render_template("portal/history.html", home=home, changes=changes, users=queries.change_authors(changes),
                           fee_items=queries.fee_items_of(home.id),
                           history=price_history(home), channel_labels=_channel_labels(), today=time.today())


def _channel_labels():
    return {"portal": _("Provider portal"), "api": _("Provider API"), "regulator": _("Regulator"),
            "import": _("Data import")}


# --- photos ------------------------------------------------------------------------------------------


@bp.route("/homes/<int:home_id>/photos", methods=["GET", "POST"])
@body_limit(lambda: photos.MAX_BYTES + UPLOAD_OVERHEAD)
@roles_required("provider", "admin")
def photos_page(home_id):
    """Upload (JPEG, PNG or WebP, checked by content, re-encoded without EXIF) and list a home's photos."""
    home = _managed_home(home_id)
    if request.method == "POST":
        _require_publish()
    form = PhotoForm()
    if form.validate_on_submit():
        upload = request.files.get(form.photo.name)
        try:
            photos.add_photo(home, upload.read(photos.MAX_BYTES + 1) if upload else b"", form.caption.data,
                             _actor())
        except ServiceError as exc:
            show_service_error(form, exc, unknown_on="photo")
        else:
            flash(_("Photo added. It shows on the home's page now."), "success")
            return redirect(url_for(".photos_page", home_id=home.id))
    return render_template("portal/photos.html", home=home, form=form, photos=photos.home_photos(home.id, False),
                           delete_form=ConfirmForm(prefix="delete")), 400 if form.errors else 200


@bp.route("/homes/<int:home_id>/photos/<int:photo_id>/delete", methods=["POST"])
@roles_required("provider", "admin")
def delete_photo(home_id, photo_id):
    """Delete a photo of the home and its file."""
    home = _managed_home(home_id)
    _require_publish()
    photo = queries.home_photo(home, photo_id)
    if photo is None:
        abort(404)
    if not ConfirmForm(prefix="delete").validate_on_submit():
        abort(400)
    photos.delete_photo(home, photo, _actor())
    flash(_("Photo deleted."), "success")
    return redirect(url_for(".photos_page", home_id=home.id))


@bp.route("/photos/<filename>")
def photo_file(filename):
    """Serve a published photo: always image/jpeg, never sniffed, never run as a document."""
    path = photos.photo_path(filename)
    photo = queries.photo_named(filename) if path else None
    if photo is None or not photo.published:
        abort(404)
    return photos.send_stored(filename)
