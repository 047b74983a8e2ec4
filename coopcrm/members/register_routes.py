"""The cooperative's share register (registre des parts sociales, R228-8): every
movement, oldest first, scoped like the member list, with its download."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from coopcrm import clock, fr, ui, views
from coopcrm.members import lookups, shares
from coopcrm.members.models import SHARE_KINDS
from coopcrm.params import int_arg

bp = Blueprint("share_register", __name__)
ui.register_nav(bp, "share_register.index", "Parts sociales", order=25)


def _entity() -> int | None:
    wanted = int_arg("entite")
    allowed = {e.id for e in lookups.entities_for(current_user)}
    return wanted if wanted in allowed else None


@bp.route("/registre-des-parts")
@login_required
def index():
    entity_id = _entity()
    page = shares.register_page(current_user, int_arg("page", 1) or 1, entity_id=entity_id)
    return render_template("share_register/index.html", page=page, kinds=SHARE_KINDS,
                           entities=lookups.entities_for(current_user), entity_id=entity_id)


@bp.route("/registre-des-parts.csv")
@login_required
def download():
    lines = shares.register_lines(current_user, _entity())
    header = ["Date", "Nature", "Nom", "Prénom", "Adresse", "Parts", "Valeur unitaire",
              "Montant", "Note"]
    rows = ([fr.date(line.movement.occurred_on), SHARE_KINDS[line.movement.kind],
             line.last_name, line.first_name, line.address, line.movement.quantity,
             fr.money(line.movement.unit_amount),
             fr.money(line.movement.quantity * line.movement.unit_amount), line.movement.note]
            for line in lines)
    return views.download([header, *rows], f"registre-des-parts-{clock.today():%Y%m%d}.csv")
