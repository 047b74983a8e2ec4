"""The dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from coopcrm import clock, ui
from coopcrm.cycle import due, schedule
from coopcrm.cycle.editions import status_label
from coopcrm.journeys.courtesy import month_progress
from coopcrm.members.models import STATUSES, TRACKS
from coopcrm.privacy import requests
from coopcrm.reporting import queries
from coopcrm.views import transaction

bp = Blueprint("reporting", __name__)
ui.register_nav(bp, "reporting.dashboard", "Tableau de bord", order=10)


def _courtesy(today, user):
    done, planned, target = month_progress(today, user)
    return {"done": done, "planned": planned, "target": target}


@bp.route("/tableau-de-bord")
@login_required
def dashboard():
    now, today = clock.now(), clock.today()
    with transaction():  # idempotent: the alert needs this year's editions to exist
        schedule.ensure_editions(now)
    upcoming = schedule.next_editions(now, current_user)
    reach = {e.id: due.reach(e) for e in upcoming}
    return render_template(
        "reporting/dashboard.html", counts=queries.member_counts(current_user),
        statuses=STATUSES, tracks=TRACKS, alerts=queries.cycle_alerts(now, user=current_user),
        upcoming=upcoming, reach=reach, status_label=status_label,
        courtesy=_courtesy(today, current_user),
        without_contact=queries.without_contact(current_user, today),
        data_requests=requests.open_requests(current_user) if current_user.can_edit else [],
        late=requests.late)
