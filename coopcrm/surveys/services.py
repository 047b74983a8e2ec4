"""Surveys: building them, inviting members (one personal link each) and reminding them.

`invite` is the one way to ask members to answer a survey; other domains call
it too (a satisfaction survey after a courtesy visit, feedback after the AG).
It writes, in the caller's transaction and without committing: one stored
link token per member (purpose "survey", subject = the survey, expiring when
the survey closes), one SurveyInvitation row (who was asked, which channel),
and one outbox message keyed `{key_prefix}:member:{id}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update

from coopcrm import clock, plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys.models import MomentType
from coopcrm.links import services as links
from coopcrm.links.models import MemberToken
from coopcrm.members import scoping
from coopcrm.members.models import Member, MemberEntity
from coopcrm.models import text_limit, too_long
from coopcrm.sending import services as sending
from coopcrm.surveys.models import CHOICE_KINDS, KINDS, Survey, SurveyInvitation, SurveyQuestion

PURPOSE = "survey"
PATH = "/s/"
# A survey with no closing date (a standing satisfaction survey): each link lives this long.
OPEN_ENDED_LINK_DAYS = 60
MOMENT_TYPE_CODE = "reponse_sondage"
# The title's limit is its column's; the others are Text/JSON columns with no length of their own.
TEXT_MAX, LABEL_MAX, CHOICE_MAX, CHOICES_MAX = 5000, 1000, 200, 30
ETAT_DES_LIEUX = "etat_des_lieux"
ETAT_DES_LIEUX_QUESTIONS = (
    "Savez-vous que vous êtes coopérateur au sein de la Coopérative et que vous détenez ou "
    "avez détenu une part sociale ?",
    "Connaissez-vous le montant de cette part sociale ?",
    "En tant que coopérateur, vous pouvez participer à l'Assemblée Générale qui a lieu une fois "
    "par an en juin. L'avez-vous déjà fait au moins une fois ?",
)
_CHUNK = 5000


# ---------------------------------------------------------------- invitations


def link_expiry(survey: Survey, now: datetime | None = None) -> datetime:
    """Links expire when the survey closes (or after OPEN_ENDED_LINK_DAYS if it never does)."""
    return survey.closes_dt or (now or clock.now()) + timedelta(days=OPEN_ENDED_LINK_DAYS)


def survey_url(raw_token: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + PATH + raw_token


def _link_context(survey: Survey, url: str, url_name: str) -> dict:
    """The personal link, and Oui/Non buttons when the first question is a yes/no one."""
    context = {url_name: url, "survey_url": url}
    first = survey.questions[0] if survey.questions else None
    if first is not None and first.kind == "yesno":
        context.update(first_question=first.label, yes_url=url + "?reponse=oui",
                       no_url=url + "?reponse=non")
    return context


def _deliverable(member) -> bool:
    return bool(member.email) and member.email_status != "bounced"


def _already_invited(survey_id: int, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        found.update(db.session.scalars(
            select(SurveyInvitation.member_id).where(
                SurveyInvitation.survey_id == survey_id,
                SurveyInvitation.member_id.in_(ids[start:start + _CHUNK]))))
    return found


def _of_entity(entity_id: int, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        found.update(db.session.scalars(select(MemberEntity.member_id).where(
            MemberEntity.entity_id == entity_id,
            MemberEntity.member_id.in_(ids[start:start + _CHUNK]))))
    return found


def invite(survey: Survey, members: Iterable[Member], *, key_prefix: str,
           template: str = "survey_invitation", extra_context: dict | None = None,
           url_name: str = "survey_url", user=None, now: datetime | None = None) -> int:
    """Invite members to answer `survey`; returns how many were newly invited. Never commits.

    Members already invited to this survey (or anonymised) are skipped. Each
    new one gets a personal link (in the message context under `url_name`,
    and `survey_url`) and one outbox message with idempotency key
    f"{key_prefix}:member:{member.id}". A member without a deliverable email
    is still invited, on channel "courrier" (printable version); the outbox
    keeps a "not sent" row saying why. A closed survey or a ready-made model
    invites nobody (returns 0). `user` is accepted for symmetry with other
    services (who decided); the outbox rows carry no author for bulk sends.
    `now` (a job's) is when the invitation is decided; by default, the clock.
    """
    now = now or clock.now()
    if survey.is_template or survey.is_closed(now):
        # Links to a closed survey would be dead on arrival (a follow-up rule still
        # pointing at last year's survey): invite nobody rather than fail the caller.
        current_app.logger.warning("survey %s is closed or a template: nobody invited",
                                   survey.id)
        return 0
    unique: dict[int, Member] = {}
    for m in members:
        if m.anonymised_dt is None:
            unique.setdefault(m.id, m)
    if survey.entity_id is not None and unique:
        # An entity's survey reaches that entity's members only, whoever calls (scoping).
        theirs = _of_entity(survey.entity_id, list(unique))
        unique = {mid: m for mid, m in unique.items() if mid in theirs}
    if not unique:
        return 0
    done = _already_invited(survey.id, list(unique))
    new = [m for mid, m in unique.items() if mid not in done]
    if not new:
        return 0
    expires = link_expiry(survey, now)
    raws = links.issue_many([{"member_id": m.id, "purpose": PURPOSE, "subject_id": survey.id,
                              "expires_dt": expires} for m in new], now)
    urls = {m.id: survey_url(raw) for m, raw in zip(new, raws, strict=True)}

    def key(m) -> str:
        return f"{key_prefix}:member:{m.id}"

    db.session.execute(insert(SurveyInvitation), [
        {"survey_id": survey.id, "member_id": m.id,
         "channel": "email" if _deliverable(m) else "courrier", "outbox_key": key(m),
         "invited_dt": now, "reminders_sent": 0, "answer_channel": ""}
        for m in new])
    shared = {"survey_title": survey.title, "intro": survey.intro or "",
              "deadline": survey.closes_on, **(extra_context or {})}
    sending.enqueue_many(template, new, key,
                         lambda m: _link_context(survey, urls[m.id], url_name), shared=shared,
                         now=now)
    return len(new)


def send_to_segment(survey: Survey, segment, user) -> int:
    """Invite every member of a saved segment the user may see; returns how many are new."""
    from coopcrm.segments.services import member_ids

    if survey.is_template:
        raise ValidationFailed({"survey": "Un modèle ne s'envoie pas : utilisez-le pour créer "
                                          "un sondage."})
    if not survey.questions:
        raise ValidationFailed({"survey": "Ajoutez au moins une question avant d'envoyer."})
    if survey.is_closed():
        raise ValidationFailed({"survey": "Ce sondage est clos : changez sa date de clôture "
                                          "pour l'envoyer."})
    ids = member_ids(segment, user).where(*scoping.audience(survey)).subquery()
    members = db.session.scalars(select(Member).where(Member.id.in_(select(ids.c[0]))))
    return invite(survey, members, key_prefix=f"survey:{survey.id}", user=user)


def send_reminders(now: datetime) -> int:
    """Queue the reminders due as of `now`; returns how many. Never commits.

    Only to members invited by email who have not answered, of open surveys,
    `reminder_delay_days` after the invitation (or the previous reminder), at
    most `reminder_max` times. Each reminder carries a fresh link (raw tokens
    are never stored); the keys make a second run add nothing.
    """
    surveys = db.session.scalars(select(Survey).where(
        Survey.is_template.is_(False), Survey.reminder_max > 0))
    total = 0
    for survey in surveys:
        if not survey.is_open(now):
            continue
        cutoff = now - timedelta(days=survey.reminder_delay_days)
        last = func.coalesce(SurveyInvitation.last_reminder_dt, SurveyInvitation.invited_dt)
        due = list(db.session.scalars(
            select(SurveyInvitation).where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.answered_dt.is_(None),
                SurveyInvitation.channel == "email",
                SurveyInvitation.reminders_sent < survey.reminder_max,
                last <= cutoff)
            .order_by(SurveyInvitation.id)))
        if due:
            total += _remind(survey, due, now)
    return total


def _remind(survey: Survey, due: list[SurveyInvitation], now: datetime) -> int:
    members = {m.id: m for m in db.session.scalars(
        select(Member).where(Member.id.in_([i.member_id for i in due])))}
    due = [i for i in due if i.member_id in members]
    raws = links.issue_many([{"member_id": i.member_id, "purpose": PURPOSE,
                              "subject_id": survey.id, "expires_dt": link_expiry(survey, now)}
                             for i in due], now)
    urls = {i.member_id: survey_url(raw) for i, raw in zip(due, raws, strict=True)}
    number = {i.member_id: i.reminders_sent + 1 for i in due}
    sending.enqueue_many(
        "survey_reminder", [members[i.member_id] for i in due],
        lambda m: f"survey:{survey.id}:reminder:{number[m.id]}:member:{m.id}",
        lambda m: _link_context(survey, urls[m.id], "survey_url"),
        shared={"survey_title": survey.title, "intro": survey.intro or "",
                "deadline": survey.closes_on}, now=now)
    for i in due:
        i.reminders_sent += 1
        i.last_reminder_dt = now
    db.session.flush()
    return len(due)


# ---------------------------------------------------------------- building


def is_locked(survey: Survey) -> bool:
    """Once invitations exist the questions stay as they are (answers refer to them)."""
    return db.session.scalar(select(SurveyInvitation.id).where(
        SurveyInvitation.survey_id == survey.id).limit(1)) is not None


def _check_survey(data: dict) -> dict:
    errors = {}
    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = "Donnez un titre au sondage."
    elif len(title) > (limit := text_limit(Survey, "title")):
        errors["title"] = too_long(limit)
    for name in ("intro", "thanks"):
        if len(data.get(name) or "") > TEXT_MAX:
            errors[name] = too_long(TEXT_MAX)
    opens, closes = data.get("opens_on"), data.get("closes_on")
    if opens and closes and closes < opens:
        errors["closes_on"] = "La clôture doit suivre l'ouverture."
    delay, most = data.get("reminder_delay_days", 7), data.get("reminder_max", 1)
    if delay is None or not 1 <= delay <= 90:
        errors["reminder_delay_days"] = "Entre 1 et 90 jours."
    if most is None or not 0 <= most <= 5:
        errors["reminder_max"] = "Entre 0 et 5 relances."
    errors.update(plaintext.problems(lines={"title": data.get("title")},
                                     texts={"intro": data.get("intro"),
                                            "thanks": data.get("thanks")}))
    if errors:
        raise ValidationFailed(errors)
    return {"title": title, "intro": (data.get("intro") or "").strip(),
            "thanks": (data.get("thanks") or "").strip(), "opens_on": opens, "closes_on": closes,
            "anonymous": bool(data.get("anonymous")), "reminder_delay_days": delay,
            "reminder_max": most}


def _owner(data: dict, user, current: int | None = None) -> int | None:
    """The entity the form gave (data["entity_id"]), checked for the user (scoping);
    without a user (a job, the seeds): the group, or what the survey has."""
    if user is None:
        return current
    return scoping.checked_owner(user, data.get("entity_id", scoping.default_owner(user)
                                                 if current is None else current))


def create_survey(data: dict, user=None) -> Survey:
    """A new draft for one of the user's entities or the group (data["entity_id"])."""
    owner = _owner(data, user)
    survey = Survey(**_check_survey(data), created_by_id=user.id if user is not None else None,
                    entity_id=owner)
    db.session.add(survey)
    db.session.flush()
    return survey


def update_survey(survey: Survey, data: dict, user=None) -> Survey:
    """Save the settings (and, with a user, the owning entity they chose)."""
    owner = _owner(data, user, survey.entity_id)
    values = _check_survey(data)
    if is_locked(survey) and values["anonymous"] != survey.anonymous:
        raise ValidationFailed({"anonymous": "Le sondage a été envoyé : son mode anonyme ne "
                                             "peut plus changer."})
    old_expiry = survey.closes_dt
    for name, value in values.items():
        setattr(survey, name, value)
    survey.entity_id = owner
    if survey.closes_dt != old_expiry and old_expiry is not None:
        # Links sent expire with the survey: follow its new closing date (not revoked ones).
        db.session.execute(
            update(MemberToken)
            .where(MemberToken.purpose == PURPOSE, MemberToken.subject_id == survey.id,
                   MemberToken.expires_dt == old_expiry)
            .values(expires_dt=link_expiry(survey))
            .execution_options(synchronize_session=False))
    db.session.flush()
    return survey


def _check_question(data: dict) -> dict:
    errors = {}
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = "Choisissez le type de question."
    label = (data.get("label") or "").strip()
    if not label:
        errors["label"] = "Écrivez la question."
    elif len(label) > LABEL_MAX:
        errors["label"] = too_long(LABEL_MAX)
    choices = []
    raw = data.get("choices") or ""
    lines = raw.splitlines() if isinstance(raw, str) else list(raw)
    for line in lines:
        line = " ".join(line.split())
        if line and line not in choices:
            choices.append(line)
    if kind in CHOICE_KINDS:
        if len(choices) < 2:
            errors["choices"] = "Donnez au moins deux choix, un par ligne."
        elif len(choices) > CHOICES_MAX or any(len(c) > CHOICE_MAX for c in choices):
            errors["choices"] = (f"{CHOICES_MAX} choix au maximum, de {CHOICE_MAX} caractères "
                                 "au plus.")
    errors.update(plaintext.problems(lines={"help": data.get("help")},
                                     texts={"label": label, "choices": "\n".join(lines)}))
    if errors:
        raise ValidationFailed(errors)
    return {"kind": kind, "label": label, "help": (data.get("help") or "").strip()[:1000],
            "required": bool(data.get("required")),
            "choices": choices if kind in CHOICE_KINDS else []}


def _refuse_if_locked(survey: Survey) -> None:
    if is_locked(survey):
        raise ValidationFailed({"survey": "Ce sondage a déjà été envoyé : ses questions ne "
                                          "changent plus. Dupliquez-le pour en faire une "
                                          "variante."})


def add_question(survey: Survey, data: dict) -> SurveyQuestion:
    _refuse_if_locked(survey)
    values = _check_question(data)
    position = max((q.position for q in survey.questions), default=0) + 1
    question = SurveyQuestion(survey=survey, position=position, **values)
    db.session.add(question)
    db.session.flush()
    return question


def update_question(question: SurveyQuestion, data: dict) -> SurveyQuestion:
    _refuse_if_locked(question.survey)
    for name, value in _check_question(data).items():
        setattr(question, name, value)
    db.session.flush()
    return question


def delete_question(question: SurveyQuestion) -> None:
    survey = question.survey
    _refuse_if_locked(survey)
    survey.questions.remove(question)
    db.session.flush()


def move_question(question: SurveyQuestion, direction: int) -> bool:
    """Swap with the previous (-1) or next (+1) question; False at either end."""
    survey = question.survey
    _refuse_if_locked(survey)
    ordered = list(survey.questions)
    i = ordered.index(question)
    j = i + direction
    if direction not in (-1, 1) or not 0 <= j < len(ordered):
        return False
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for n, q in enumerate(ordered, start=1):
        q.position = n
    db.session.flush()
    db.session.expire(survey, ["questions"])
    return True


def duplicate(survey: Survey, user=None, title: str | None = None) -> Survey:
    """A new draft with the same settings and questions (no dates, no invitations).

    It belongs where the original does when the user may change that, else to the
    user's own entity (a referent copying the group's model gets their entity's copy)."""
    owner = survey.entity_id
    if user is not None and not scoping.may_change(user, survey):
        owner = scoping.default_owner(user)
    base = title or (survey.title if survey.is_template else f"Copie de {survey.title}")
    base = base[:text_limit(Survey, "title")]
    copy = Survey(title=base, intro=survey.intro, thanks=survey.thanks,
                  anonymous=survey.anonymous, reminder_delay_days=survey.reminder_delay_days,
                  reminder_max=survey.reminder_max, entity_id=owner,
                  created_by_id=user.id if user is not None else None)
    copy.questions = [SurveyQuestion(position=n, kind=q.kind, label=q.label, help=q.help,
                                     required=q.required, choices=list(q.choices or []))
                      for n, q in enumerate(survey.questions, start=1)]
    db.session.add(copy)
    db.session.flush()
    return copy


# ---------------------------------------------------------------- seeds


def seed_templates() -> list[Survey]:
    """Create the ready-made surveys if missing (idempotent); returns them. Never commits."""
    existing = db.session.scalar(select(Survey).where(Survey.template_code == ETAT_DES_LIEUX))
    if existing is None:
        existing = Survey(
            title="Sondage état des lieux", template_code=ETAT_DES_LIEUX, is_template=True,
            intro="Nous aimerions mieux connaître ce que vous savez de la coopérative. "
                  "Trois questions, une minute.",
            thanks="Merci ! Vos réponses nous aident à mieux vous informer.",
            reminder_delay_days=7, reminder_max=1)
        existing.questions = [SurveyQuestion(position=n, kind="yesno", label=label,
                                             required=True, choices=[])
                              for n, label in enumerate(ETAT_DES_LIEUX_QUESTIONS, start=1)]
        db.session.add(existing)
        db.session.flush()
    ensure_moment_type()
    return [existing]


def ensure_moment_type() -> MomentType:
    """The timeline's "Réponse à un sondage" moment type, created if missing (idempotent)."""
    mtype = db.session.scalar(select(MomentType).where(MomentType.code == MOMENT_TYPE_CODE))
    if mtype is None:
        mtype = MomentType(code=MOMENT_TYPE_CODE, label="Réponse à un sondage", track="both",
                           position=850, repeatable=True, active=True)
        db.session.add(mtype)
        db.session.flush()
    return mtype


def templates() -> list[Survey]:
    return list(db.session.scalars(select(Survey).where(Survey.is_template.is_(True))
                                   .order_by(Survey.title)))


def surveys(user=None) -> list[Survey]:
    """The surveys (not the models) the user may see (every one without a user), latest first."""
    query = select(Survey).where(Survey.is_template.is_(False))
    if user is not None:
        query = scoping.owned(query, Survey, user)
    return list(db.session.scalars(query.order_by(Survey.created_dt.desc(), Survey.id.desc())))


def feedback_choices(user) -> list[Survey]:
    """The surveys an event of the user's may send after it, by title."""
    return list(db.session.scalars(scoping.owned(
        select(Survey).where(Survey.is_template.is_(False)), Survey, user)
        .order_by(Survey.title)))
