"""Referent pages: template preview, test send, the outbox, one message."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm import ui
from coopcrm.auth.access import editor_required
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.scoping import get_member
from coopcrm.pagination import paginate
from coopcrm.params import int_arg, parse_int
from coopcrm.security_headers import email_frame
from coopcrm.sending import query, rendering, services
from coopcrm.sending.forms import TestSendForm
from coopcrm.sending.models import STATUSES, OutboxMessage
from coopcrm.sending.preview import preview_context, render_stored
from coopcrm.views import transaction

bp = Blueprint("sending", __name__)


def _labels() -> dict[str, str]:
    return {key: rendering.get(key).label for key in rendering.template_keys()}


ui.register_globals(bp, sending_statuses=STATUSES)
ui.register_member_panel(bp, "emails", "sending/_member_messages.html",
                         lambda member: {"messages": query.member_messages(member.id)}, order=50)
ui.register_nav(bp, "sending.outbox", "Envois", order=80)


@bp.route("/envois")
@login_required
def outbox():
    status = request.args.get("statut", "")
    template = request.args.get("modele", "")
    q = (request.args.get("q") or "").strip().lower()
    labels = _labels()
    messages = query.outbox(current_user, status, template if template in labels else "", q)
    page = paginate(db.session, messages, request.args.get("page", 1, type=int), 50)
    return render_template("sending/outbox.html", page=page, statuses=STATUSES, labels=labels,
                           status=status, template=template, q=q,
                           counts=services.counts_by_status())


def _visible_message(message_id: int) -> OutboxMessage:
    msg = query.message_seen_by(current_user, message_id)
    if msg is None:
        abort(404)
    return msg


@bp.route("/envois/<id:message_id>")
@login_required
def message(message_id: int):
    msg = _visible_message(message_id)
    rendered = render_stored(msg)
    return render_template("sending/message.html", msg=msg, rendered=rendered,
                           frame_url=url_for(".message_html", message_id=msg.id),
                           label=_labels().get(msg.template, msg.template))


@bp.route("/envois/<id:message_id>/html")
@login_required
def message_html(message_id: int):
    """The message's HTML, for the sandboxed frame of its page."""
    rendered = render_stored(_visible_message(message_id))
    if rendered is None:
        abort(404)
    return email_frame(rendered.html)


def _previewed() -> tuple[str, Member | None, rendering.Rendered]:
    """The template and member the preview's query string names, and the email they make."""
    keys = rendering.template_keys()
    template = request.args.get("modele") or keys[0]
    if template not in keys:
        abort(404)
    member_id = int_arg("membre")
    member = get_member(current_user, member_id) if member_id else None
    email = rendering.get(template)
    return template, member, rendering.render(
        email, preview_context(rendering.samples().get(template, {}), member, bulk=email.bulk))


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
            member_id = parse_int(form.member_id.data)
        except ValueError:
            abort(404)
        if member_id is None:  # only spaces: no such member either
            abort(404)
        member = get_member(current_user, member_id)
    with transaction() as saved:
        services.send_test(current_user, form.template.data, member=member)
    if saved.ok:
        flash(f"Message de test mis en file d'envoi pour {current_user.email} ; "
              "il part à la prochaine minute.", "success")
    return redirect(url_for(".preview", modele=form.template.data,
                            membre=member.id if member else None))
