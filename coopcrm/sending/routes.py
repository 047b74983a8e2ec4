"""Referent pages: template preview, test send, the outbox, one message."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from coopcrm.auth.access import editor_required
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.scoping import get_member, scope
from coopcrm.pagination import paginate
from coopcrm.params import int_arg, parse_int
from coopcrm.security_headers import email_frame
from coopcrm.sending import rendering, services
from coopcrm.sending.forms import TestSendForm
from coopcrm.sending.models import STATUSES, OutboxMessage

bp = Blueprint("sending", __name__)


def _visible_messages():
    """Messages the user may see: those of members in their entities (all, for group-wide users)."""
    query = (select(OutboxMessage).outerjoin(Member, Member.id == OutboxMessage.member_id)
             .options(contains_eager(OutboxMessage.member)))
    if current_user.sees_all_entities:
        return query
    return scope(query, current_user)


def _labels() -> dict[str, str]:
    return {key: rendering.get(key).label for key in rendering.template_keys()}


@bp.app_context_processor
def _member_history():
    def member_messages(member_id: int, limit: int = 20):
        """The latest messages of a member the page already showed (so already in scope)."""
        return db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.member_id == member_id)
            .order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc()).limit(limit)
        ).all()

    return {"sending_member_messages": member_messages, "sending_statuses": STATUSES}


@bp.route("/envois")
@login_required
def outbox():
    status = request.args.get("statut", "")
    template = request.args.get("modele", "")
    q = (request.args.get("q") or "").strip().lower()
    query = _visible_messages()
    if status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    labels = _labels()
    if template in labels:
        query = query.where(OutboxMessage.template == template)
    if q:
        query = query.where(OutboxMessage.to_address.ilike(f"%{q}%"))
    query = query.order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc())
    page = paginate(db.session, query, request.args.get("page", 1, type=int), 50)
    return render_template("sending/outbox.html", page=page, statuses=STATUSES, labels=labels,
                           status=status, template=template, q=q,
                           counts=services.counts_by_status())


def _visible_message(message_id: int) -> OutboxMessage:
    msg = db.session.scalar(_visible_messages().where(OutboxMessage.id == message_id))
    if msg is None:
        abort(404)
    return msg


@bp.route("/envois/<id:message_id>")
@login_required
def message(message_id: int):
    msg = _visible_message(message_id)
    rendered = _render_stored(msg)
    return render_template("sending/message.html", msg=msg, rendered=rendered,
                           frame_url=url_for(".message_html", message_id=msg.id),
                           label=_labels().get(msg.template, msg.template))


@bp.route("/envois/<id:message_id>/html")
@login_required
def message_html(message_id: int):
    """The message's HTML, for the sandboxed frame of its page."""
    rendered = _render_stored(_visible_message(message_id))
    if rendered is None:
        abort(404)
    return email_frame(rendered.html)


def _render_stored(msg: OutboxMessage):
    """The message as it was (or will be) sent, links made inert (secret ones too)."""
    from coopcrm.sending.models import SharedContext

    shared = db.session.get(SharedContext, msg.shared_context_id) if msg.shared_context_id else None
    context = rendering.inert_secrets(
        {**services.system_context(), **(shared.data if shared else {}), **msg.context})
    if msg.bulk:
        context["unsubscribe_url"] = context["base_url"] + "/u/exemple-de-lien"
    try:
        return rendering.render(rendering.get(msg.template), context, subject=msg.subject)
    except Exception as exc:  # a template changed since: say so instead of a 500
        current_app.logger.warning("message %s: rendu impossible (%s)", msg.id, exc)
        return None


def _preview_context(template: str, member: Member | None) -> dict:
    context = {**services.system_context(),
               **services.clean_context(rendering.samples().get(template, {}))}
    if member is not None:
        context["member"] = services.member_context(member)
    else:
        context["member"] = {"first_name": "Camille", "last_name": "Exemple", "civility": "",
                             "full_name": "Camille Exemple"}
    if rendering.get(template).bulk:
        base = context["base_url"]
        context.update(unsubscribe_url=base + "/u/exemple-de-lien",
                       preferences_url=base + "/p/exemple-de-lien")
    return context


def _previewed() -> tuple[str, Member | None, rendering.Rendered]:
    """The template and member the preview's query string names, and the email they make."""
    keys = rendering.template_keys()
    template = request.args.get("modele") or keys[0]
    if template not in keys:
        abort(404)
    member_id = int_arg("membre")
    member = get_member(current_user, member_id) if member_id else None
    return template, member, rendering.render(rendering.get(template),
                                              _preview_context(template, member))


@bp.route("/envois/apercu")
@login_required
def preview():
    template, member, rendered = _previewed()
    form = TestSendForm(template=template, member_id=member.id if member else "")
    frame_url = url_for(".preview_html", modele=template, membre=member.id if member else None)
    return render_template("sending/preview.html", labels=_labels(), template=template,
                           member=member, rendered=rendered, form=form, frame_url=frame_url)


@bp.route("/envois/apercu/html")
@login_required
def preview_html():
    """The previewed email's HTML, for the sandboxed frame of the preview page."""
    return email_frame(_previewed()[2].html)


@bp.route("/envois/test", methods=["POST"])
@editor_required
def send_test():
    form = TestSendForm()
    if not form.validate_on_submit() or form.template.data not in rendering.template_keys():
        flash("Le message de test n'a pas pu être préparé : choisissez un modèle.", "error")
        return redirect(url_for(".preview"))
    member = None
    if form.member_id.data:
        try:
            member = get_member(current_user, parse_int(form.member_id.data))
        except ValueError:
            abort(404)
    services.send_test(current_user, form.template.data, member=member)
    db.session.commit()
    flash(f"Message de test mis en file d'envoi pour {current_user.email} ; "
          "il part à la prochaine minute.", "success")
    return redirect(url_for(".preview", modele=form.template.data,
                            membre=member.id if member else None))
