"""The member's RSVP page, reached by personal link /e/<token>.

No login: the token is the credential. The page shows the member's first name
and the event, never anyone else's data; a bad, expired or foreign link gets
one plain page that says nothing about what it might have opened.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request

from coopcrm import clock
from coopcrm.events import services
from coopcrm.events.forms import RsvpForm
from coopcrm.events.votes import services as votes
from coopcrm.links.web import contact_email, private_link_headers
from coopcrm.views import transaction

bp = Blueprint("event_public", __name__)


bp.after_request(private_link_headers)


def _bad_link():
    return render_template("event_public/invalid.html", contact=contact_email()), 404


@bp.route("/e/<token>", methods=["GET", "POST"])
def rsvp(token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _bad_link()
    event = invitation.event
    form = RsvpForm()
    if request.method == "GET":
        form.response.data = invitation.response if invitation.response != "pending" else None
        form.proxy_to.data = "chair" if invitation.proxy_chair else "member"
        form.proxy_name.data = invitation.proxy_name
    if form.validate_on_submit():
        with transaction() as saved:
            services.answer(invitation, form.response.data or "", form.proxy_name.data or "",
                            proxy_chair=form.proxy_to.data == "chair")
        if saved.ok:
            flash("Merci, votre réponse est enregistrée. Vous pouvez la modifier ici jusqu'au "
                  "début de l'événement.", "success")
            return redirect(request.path, code=303)
    return render_template("event_public/rsvp.html", event=event, invitation=invitation, form=form,
                           first_name=invitation.member.first_name,
                           waitlist=services.waitlist_position(invitation), token=token,
                           online_vote=votes.online_vote_until(invitation, clock.now()))


@bp.route("/e/<token>/evenement.ics")
def calendar(token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _bad_link()
    return Response(services.ics(invitation.event), mimetype="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="evenement.ics"'})
