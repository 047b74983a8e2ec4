"""The online postal vote, reached from the member's RSVP link /e/<token>/vote.

Only when the statutes allow electronic voting (COOPCRM_EVENTS_ONLINE_VOTE=1); the member
may change their choices until the deadline, the last one counts. Like the RSVP page, the
token is the credential and the page shows nobody else's data.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from coopcrm import clock
from coopcrm.events import services as events
from coopcrm.events.votes import forms, majority, services
from coopcrm.links.web import contact_email, private_link_headers
from coopcrm.views import render_form, transaction

bp = Blueprint("vote_public", __name__)
bp.after_request(private_link_headers)


@bp.route("/e/<token>/vote", methods=["GET", "POST"])
def vote(token: str):
    invitation = events.invitation_for_token(token)
    until = services.online_vote_until(invitation, clock.now()) if invitation else None
    if invitation is None or until is None:
        # A closed vote and a bad link read the same: nothing is said about the link.
        return render_template("vote_public/invalid.html", contact=contact_email()), 404
    event = invitation.event
    ballot = services.ballot_of(event, invitation.member_id)
    form = forms.postal_form(event.resolutions, code=False)
    if request.method == "GET" and ballot is not None:
        ticked = {c.resolution_id: c.choice for c in ballot.choices}
        for r in event.resolutions:
            form[forms.choice_field(r)].data = ticked.get(r.id)
    if form.validate_on_submit():
        with transaction(form) as saved:
            services.record_postal(event, invitation.member,
                                   forms.postal_choices(form, event.resolutions), clock.now(),
                                   "online")
        if saved.ok:
            flash("Merci, votre vote est enregistré. Vous pouvez le modifier ici jusqu'à la date "
                  "limite : c'est votre dernier choix qui compte.", "success")
            return redirect(request.path, code=303)
    return render_form("vote_public/vote.html", form, event=event, until=until, ballot=ballot,
                       first_name=invitation.member.first_name, labels=majority.CHOICES,
                       token=token)
