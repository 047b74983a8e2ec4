"""Administrators: the security log, and turning off a user's lost second factor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coopcrm import ui
from coopcrm.auth import account, events, guard
from coopcrm.auth.access import admin_required
from coopcrm.auth.models import User
from coopcrm.extensions import db
from coopcrm.views import transaction

bp = Blueprint("security", __name__)
ui.register_nav(bp, "security.log", "Sécurité", order=150, visible=ui.admins)


@bp.route("/admin/journal-securite")
@admin_required
def log():
    kind = request.args.get("type", "")
    email = (request.args.get("email") or "").strip()
    page = events.page(request.args.get("page", 1, type=int), kind=kind, email=email)
    return render_template("security/log.html", page=page, kinds=events.KINDS, kind=kind,
                           email=email)


@bp.route("/admin/utilisateurs/<id:user_id>/double-authentification/desactiver",
          methods=["POST"])
@admin_required
def user_totp_reset(user_id: int):
    user = db.get_or_404(User, user_id)
    with transaction() as saved:
        account.disable_totp(user, actor=current_user, client=guard.client_address(),
                             keep=guard.staff_session())
    if saved.ok:
        flash(f"Double authentification de {user.name} désactivée ; ses sessions sont fermées.",
              "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))
