"""« Mot de passe oublié » : ask for a link, then choose a new password through it."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for

from coopcrm.auth import guard, reset
from coopcrm.auth.forms import ForgotForm, ResetForm
from coopcrm.views import render_form, transaction

bp = Blueprint("password_reset", __name__)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def request_link():
    form = ForgotForm()
    if form.validate_on_submit():
        reset.request_reset(form.email.data or "", client=guard.client_address())
        minutes = reset.valid_minutes()
        # The same words whether or not the address has an account.
        flash("Si un compte actif correspond à cette adresse, un email vient de lui être "
              f"envoyé avec un lien valable {minutes} minutes.", "info")
        return redirect(url_for("auth.login"))
    return render_form("password_reset/forgot.html", form)


@bp.route("/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
def use_link(token: str):
    link = reset.valid_link(token)
    if link is None:
        return _no_referrer(render_template("password_reset/invalid.html", message=reset.EXPIRED),
                            404)
    form = ResetForm()
    if form.validate_on_submit():
        with transaction(form, fallback=form.password) as saved:  # use_link commits its claim
            reset.use_link(token, form.password.data or "", form.confirm.data or "",
                           client=guard.client_address())
        if saved.ok:
            guard.end()
            flash("Mot de passe changé : connectez-vous avec le nouveau. Toutes les sessions "
                  "ouvertes avec votre compte ont été fermées.", "success")
            return redirect(url_for("auth.login"))
        if "token" in saved.errors:  # used or expired meanwhile: the form is no use now
            return _no_referrer(render_template("password_reset/invalid.html",
                                                message=saved.errors["token"]), 404)
    return _no_referrer(*render_form("password_reset/reset.html", form, user=link.user))


def _no_referrer(html: str, status: int):
    """The token is in this page's address: never sent on as a Referer, never cached."""
    response = make_response(html, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
