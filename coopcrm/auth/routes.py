from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from coopcrm import ui
from coopcrm.auth import events, guard, services
from coopcrm.auth import login as signing
from coopcrm.auth.access import admin_required
from coopcrm.auth.forms import CodeForm, LoginForm, UserForm
from coopcrm.auth.login import LoginRefused
from coopcrm.auth.models import ROLES, User
from coopcrm.extensions import db
from coopcrm.forms import attach_errors
from coopcrm.views import on_download, render_form, transaction

bp = Blueprint("auth", __name__)
ui.register_nav(bp, "auth.users", "Utilisateurs", order=140, visible=ui.admins)


@on_download
def _record_download(filename: str, rows: int) -> None:
    """Every file of member data a view hands out goes in the security log: who, when,
    which file, how many rows (issue 12: exports visible to admins)."""
    events.record("export", user=current_user if current_user.is_authenticated else None,
                  client=guard.client_address(), detail=events.export_detail(filename, rows))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect to another host.
    if (target and target.startswith("/") and not urlsplit(target).netloc
            and not target.startswith("//")):
        return target
    return url_for("reporting.dashboard")


@bp.route("/")
def home():
    target = "reporting.dashboard" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("members.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = signing.authenticate(form.email.data or "", form.password.data or "",
                                        client=guard.client_address())
        except LoginRefused as refused:
            flash(refused.message, "error")
        else:
            target = _safe_next(request.args.get("next"))
            if user.has_totp:
                guard.await_code(user, target)
                return redirect(url_for("auth.login_code"))
            guard.begin(user, "mot de passe")
            return redirect(url_for("account.totp") if guard.must_enrol(user) else target)
    return render_template("auth/login.html", form=form)


@bp.route("/connexion/code", methods=["GET", "POST"])
def login_code():
    """The second step for an account with a TOTP app: its code, or a recovery code."""
    pending = guard.awaiting_code()
    if pending is None:
        flash("Saisissez à nouveau votre email et votre mot de passe.", "info")
        return redirect(url_for("auth.login"))
    user, target = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = signing.second_factor(user, form.code.data or "",
                                           client=guard.client_address())
        except LoginRefused as refused:
            flash(refused.message, "error")
        else:
            guard.begin(user, method)
            return redirect(_safe_next(target))
    return render_template("auth/login_code.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    signing.sign_out(current_user, guard.staff_session(), client=guard.client_address())
    guard.end()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


# --- User administration (admins) -------------------------------------------


@bp.route("/admin/utilisateurs")
@admin_required
def users():
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("auth/users.html", users=rows, roles=ROLES)


@bp.route("/admin/utilisateurs/nouveau", methods=["GET", "POST"])
@admin_required
def user_new():
    form = _user_form(None)
    if form.is_submitted():
        form_ok = form.validate()
        entities = _entities(form.entities.data)
        errors = services.check_new_user(form.email.data or "", form.name.data or "",
                                         form.password.data or "", form.role.data, entities,
                                         form.all_entities.data)
        if form_ok and not errors:
            with transaction(form, fallback=form.name) as saved:
                user = services.create_user(form.email.data or "", (form.name.data or "").strip(),
                                            form.password.data or "", form.role.data,
                                            [] if form.all_entities.data else entities,
                                            form.all_entities.data, form.rights.data or [])
            if saved.ok:
                flash(f"Utilisateur {user.email} créé.", "success")
                return redirect(url_for("auth.users"))
        attach_errors(form, errors, fallback=form.name)
    return render_form("auth/user_form.html", form, user=None)


@bp.route("/admin/utilisateurs/<id:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        with transaction(form, fallback=form.name) as saved:
            services.update_user(user, acting=current_user, name=form.name.data or "",
                                 role=form.role.data, entities=_entities(form.entities.data),
                                 all_entities=form.all_entities.data,
                                 rights=form.rights.data or [],
                                 password=form.password.data or None,
                                 client=guard.client_address(), keep=guard.staff_session())
        if saved.ok:
            flash("Utilisateur enregistré.", "success")
            return redirect(url_for("auth.users"))
    return render_form("auth/user_form.html", form, user=user)


@bp.route("/admin/utilisateurs/<id:user_id>/desactiver", methods=["GET", "POST"])
@admin_required
def user_deactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    if request.method == "POST":
        with transaction() as saved:
            services.set_active(user, False, acting=current_user,
                                client=guard.client_address())
        if saved.ok:
            flash(f"Le compte de {user.name} est désactivé.", "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_deactivate.html", user=user)


@bp.route("/admin/utilisateurs/<id:user_id>/reactiver", methods=["POST"])
@admin_required
def user_reactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    with transaction() as saved:
        services.set_active(user, True, acting=current_user, client=guard.client_address())
    if saved.ok:
        flash(f"Le compte de {user.name} est réactivé.", "success")
    return redirect(url_for("auth.users"))


def _user_form(user: User | None) -> UserForm:
    from coopcrm.members import lookups

    form = UserForm(obj=user)
    form.fill_choices(lookups.entities())
    if user is not None and not form.is_submitted():
        form.entities.data = user.entity_ids
        form.rights.data = sorted(g.kind for g in user.granted)
    if user is not None:
        form.email.render_kw = {"readonly": True}
    return form


def _entities(ids) -> list:
    from coopcrm.members import lookups

    ids = [i for i in (ids or []) if isinstance(i, int)]
    return lookups.entities(ids) if ids else []


