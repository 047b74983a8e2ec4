"""Public pages reached from an email link: one-click unsubscribe and preferences.

No login: the signed token is the credential. Pages show the member's first
name only, never the email address; a bad link reveals nothing. What each
link may do is `links.actions`: an unsubscribe link only withdraws.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from coopcrm.extensions import csrf
from coopcrm.links import actions
from coopcrm.links.forms import PreferencesForm
from coopcrm.links.services import (
    PREFERENCES,
    PREFERENCES_REQUESTED,
    PURPOSES,
    UNSUBSCRIBE,
    LinkExpired,
    LinkInvalid,
)
from coopcrm.links.web import contact_email, private_link_headers
from coopcrm.members.services import consent_history
from coopcrm.privacy.consents import wording
from coopcrm.privacy.models import CONSENT_KINDS

# The latest grants and withdrawals the preferences page shows the member.
CONSENTS_SHOWN = 10

bp = Blueprint("links", __name__)


bp.after_request(private_link_headers)


def _coop() -> str:
    return current_app.config["COOP_NAME"]


def _bad_link(purpose: str, expired: bool):
    template = "links/expired.html" if expired else "links/invalid.html"
    page = render_template(template, purpose=purpose, contact=contact_email())
    return page, 410 if expired else 404


def _route(purpose: str, suffix: str = "") -> str:
    return PURPOSES[purpose].path + "<token>" + suffix


@bp.route(_route(UNSUBSCRIBE), methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", no form, no cookie
def unsubscribe(token: str):
    # Whatever the POST holds (a forged "econvocation=y"…), this link only withdraws.
    try:
        member = actions.member_for(token, UNSUBSCRIBE, for_update=request.method == "POST")
    except LinkInvalid as exc:
        return _bad_link(UNSUBSCRIBE, isinstance(exc, LinkExpired))
    send_link_url = url_for("links.send_link", token=token, purpose=UNSUBSCRIBE)
    if request.method == "POST":
        actions.unsubscribe(member, _coop())
        return render_template("links/unsubscribed.html", first_name=member.first_name,
                               send_link_url=send_link_url)
    return render_template(
        "links/unsubscribe.html",
        first_name=member.first_name,
        already=member.email_status != "valid" and not member.newsletter_consent,
        send_link_url=send_link_url,
    )


@bp.route(_route(UNSUBSCRIBE, "/lien"), methods=["POST"], defaults={"purpose": UNSUBSCRIBE})
@bp.route(_route(PREFERENCES, "/lien"), methods=["POST"], defaults={"purpose": PREFERENCES})
@bp.route(_route(PREFERENCES_REQUESTED, "/lien"), methods=["POST"],
          defaults={"purpose": PREFERENCES_REQUESTED})
def send_link(token: str, purpose: str):
    """Email a fresh preferences link to the member's address (never shown on the page)."""
    try:
        member = actions.member_for(token, purpose, for_update=True)
    except LinkInvalid as exc:
        return _bad_link(purpose, isinstance(exc, LinkExpired))
    outcome = actions.send_preferences_link(member)
    return render_template("links/link_sent.html", first_name=member.first_name,
                           undeliverable=outcome == actions.LINK_UNDELIVERABLE,
                           already=outcome == actions.LINK_ALREADY_SENT, contact=contact_email())


@bp.route(_route(PREFERENCES), methods=["GET", "POST"], defaults={"purpose": PREFERENCES})
@bp.route(_route(PREFERENCES_REQUESTED), methods=["GET", "POST"],
          defaults={"purpose": PREFERENCES_REQUESTED})
def preferences(token: str, purpose: str):
    try:
        link = actions.preferences_for(token, purpose, for_update=request.method == "POST")
    except LinkInvalid as exc:
        return _bad_link(purpose, isinstance(exc, LinkExpired))
    member = link.member
    current = {"newsletter": member.newsletter_consent,
               "econvocation": member.econvocation_consent}
    form = PreferencesForm(data=current)
    form.newsletter.label.text = wording("newsletter", _coop())
    form.econvocation.label.text = wording("econvocation", _coop())
    if form.validate_on_submit():
        changed = actions.save_preferences(
            link, {"newsletter": form.newsletter.data, "econvocation": form.econvocation.data},
            _coop())
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
        grants=link.grants,
        # Withdrawal only: a box is shown for what the member has agreed to, nothing else.
        shown=[kind for kind, on in current.items() if link.grants or on],
        send_link_url=url_for("links.send_link", token=token, purpose=purpose),
        # What the member agreed to and withdrew, when, in which words (RGPD art. 7.1).
        history=consent_history(member)[:CONSENTS_SHOWN],
        consent_kinds=CONSENT_KINDS,
    )
