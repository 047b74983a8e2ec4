"""The admin page of the scheduler: jobs, their last runs, the history and its errors."""

from flask import Blueprint, render_template, request

from coopcrm import clock, ui
from coopcrm.auth.access import admin_required
from coopcrm.extensions import db
from coopcrm.pagination import paginate
from coopcrm.scheduler.models import RUN_STATUSES
from coopcrm.scheduler.services import job_overview, runs_query

bp = Blueprint("scheduler", __name__)
ui.register_nav(bp, "scheduler.index", "Planificateur", order=120, visible=ui.admins)

RUNS_PER_PAGE = 50


@bp.route("/admin/planificateur")
@admin_required
def index():
    overview = job_overview(clock.now())
    names = [row.job.name for row in overview]
    name = request.args.get("tache", "")
    status = request.args.get("statut", "")
    if status not in RUN_STATUSES:
        status = ""
    page = paginate(db.session, runs_query(name, status),
                    request.args.get("page", 1, type=int), RUNS_PER_PAGE)
    return render_template("scheduler/index.html", overview=overview, names=names, name=name,
                           status=status, statuses=RUN_STATUSES, page=page)
