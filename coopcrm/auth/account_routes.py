"""« Mon compte » : password, second factor, open sessions of the signed-in user."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from coopcrm.auth import account, guard, sessions, totp
from coopcrm.auth.forms import CodeForm, PasswordChangeForm, PasswordConfirmForm
from coopcrm.views import render_form, transaction

bp = Blueprint("account", __name__)

_CODES, _DISABLE = "codes", "disable"  # the two password forms of one page


def _private(html: str, status: int = 200):
    """A page showing secrets (QR code, recovery codes): never cached anywhere."""
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/compte")
@login_required
def index():
    return render_template("account/index.html", open_sessions=sessions.open_sessions(current_user),
                           this_session=guard.staff_session(),
                           codes_left=totp.remaining_recovery_codes(current_user))


@bp.route("/compte/sessions/fermer", methods=["POST"])
@login_required
def end_other_sessions():
    with transaction() as saved:
        ended = sessions.end_all(current_user, "fermées par l'utilisateur",
                                 client=guard.client_address(), keep=guard.staff_session())
    if saved.ok:
        flash(f"{ended} autre(s) session(s) fermée(s).", "success")
    return redirect(url_for(".index"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        with transaction(form, fallback=form.password) as saved:
            account.change_password(current_user, form.current_password.data or "",
                                    form.password.data or "", form.confirm.data or "",
                                    client=guard.client_address(), keep=guard.staff_session())
        if saved.ok:
            flash("Mot de passe changé. Vos autres sessions sont fermées.", "success")
            return redirect(url_for(".index"))
    return render_form("account/password.html", form)


@bp.route("/compte/double-authentification", methods=["GET", "POST"], endpoint="totp")
@login_required
def totp_page():
    """Enrol an authenticator app, or (once enrolled) turn it off or renew the codes."""
    if current_user.has_totp:
        return _private(render_template(
            "account/totp_manage.html", codes_form=PasswordConfirmForm(prefix=_CODES),
            disable_form=PasswordConfirmForm(prefix=_DISABLE),
            codes_left=totp.remaining_recovery_codes(current_user)))
    here = guard.staff_session()
    assert here is not None  # login_required: this request has its session row
    with transaction():
        secret = account.enrolment_secret(here)
    form = CodeForm().for_enrolment()
    if form.validate_on_submit():
        with transaction(form, fallback=form.code) as saved:
            codes = account.enable_totp(current_user, form.code.data or "",
                                        client=guard.client_address(), here=here)
        if saved.ok:
            flash("Double authentification activée. Vos autres sessions sont fermées.",
                  "success")
            return _private(render_template("account/recovery_codes.html", codes=codes))
    uri = totp.provisioning_uri(secret, current_user.email)
    return _private(*render_form("account/totp_enrol.html", form, uri=uri, secret=secret,
                                 qr=totp.qr_svg(uri), required=guard.must_enrol(current_user)))


@bp.route("/compte/double-authentification/desactiver", methods=["POST"])
@login_required
def totp_disable():
    form = PasswordConfirmForm(prefix=_DISABLE)
    if form.validate_on_submit():
        with transaction() as saved:
            account.disable_totp(current_user, actor=current_user,
                                 password=form.current_password.data or "",
                                 client=guard.client_address(), keep=guard.staff_session())
        if not saved.ok:
            return redirect(url_for(".totp"))
        flash("Double authentification désactivée.", "success")
    return redirect(url_for(".index"))


@bp.route("/compte/double-authentification/codes", methods=["POST"])
@login_required
def recovery_codes():
    form = PasswordConfirmForm(prefix=_CODES)
    if form.validate_on_submit() and current_user.has_totp:
        with transaction() as saved:
            codes = account.new_recovery_codes(current_user, form.current_password.data or "",
                                               client=guard.client_address())
        if saved.ok:
            return _private(render_template("account/recovery_codes.html", codes=codes))
    return redirect(url_for(".totp"))
