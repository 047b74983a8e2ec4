"""Public pages reached from an email link: one-click unsubscribe and preferences.

No login: the signed token is the credential. Pages show the member's first
name only, never the email address; a bad link reveals nothing.
"""

from __future__ import annotations

from email.utils import parseaddr

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from coopcrm.extensions import csrf
from coopcrm.links import services
from coopcrm.links.forms import PreferencesForm
from coopcrm.links.services import PREFERENCES, UNSUBSCRIBE, LinkExpired, LinkInvalid
from coopcrm.links.web import private_link_headers
from coopcrm.privacy.consents import wording

bp = Blueprint("links", __name__)


bp.after_request(private_link_headers)


def _coop() -> str:
    return current_app.config["COOP_NAME"]


def _contact() -> str:
    return current_app.config.get("CONTACT_EMAIL") or parseaddr(current_app.config["MAIL_FROM"])[1]


def _preferences_path(member_id: int) -> str:
    # Relative: the page works whatever host name it was reached by.
    return url_for("links.preferences", token=services.sign(member_id, PREFERENCES))


def _bad_link(purpose: str, expired: bool):
    template = "links/expired.html" if expired else "links/invalid.html"
    return render_template(template, purpose=purpose, contact=_contact()), 410 if expired else 404


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", no form, no cookie
def unsubscribe(token: str):
    try:
        member = services.member_for(token, UNSUBSCRIBE, for_update=request.method == "POST")
    except LinkInvalid as exc:
        return _bad_link(UNSUBSCRIBE, isinstance(exc, LinkExpired))
    if request.method == "POST":
        services.unsubscribe(member, _coop())
        return render_template(
            "links/unsubscribed.html",
            first_name=member.first_name,
            preferences_url=_preferences_path(member.id),
        )
    return render_template(
        "links/unsubscribe.html",
        first_name=member.first_name,
        already=member.email_status != "valid" and not member.newsletter_consent,
        preferences_url=_preferences_path(member.id),
    )


@bp.route("/p/<token>", methods=["GET", "POST"])
def preferences(token: str):
    try:
        member = services.member_for(token, PREFERENCES, for_update=request.method == "POST")
    except LinkInvalid as exc:
        return _bad_link(PREFERENCES, isinstance(exc, LinkExpired))
    form = PreferencesForm(
        data={"newsletter": member.newsletter_consent, "econvocation": member.econvocation_consent}
    )
    form.newsletter.label.text = wording("newsletter", _coop())
    form.econvocation.label.text = wording("econvocation", _coop())
    if form.validate_on_submit():
        changed = services.save_preferences(
            member, form.newsletter.data, form.econvocation.data, _coop()
        )
        flash(
            "Vos préférences sont enregistrées." if changed else "Aucun changement : vos "
            "préférences étaient déjà celles-ci.",
            "success",
        )
        return redirect(request.path, code=303)
    return render_template(
        "links/preferences.html",
        form=form,
        first_name=member.first_name,
        bounced=member.email_status == "bounced",
    )
