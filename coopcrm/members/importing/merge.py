"""Several lines for one person: an export writes a member once per entity they are linked to.

After matching, the lines that designate one member (by entity + reference,
or by email), and new lines sharing an email, are folded into the first of
them: it carries the member's values, the others bring their entity and
reference. The lines must agree: two different values for one member is an
error on both lines (a blank cell agrees with anything).
"""

from __future__ import annotations

from coopcrm.members.importing.rows import Row

# Where each value a row carries comes from, for the messages.
_VALUE_COLUMNS = {
    "civility": "civilite", "first_name": "prenom", "last_name": "nom", "email": "email",
    "phone": "telephone", "address": "adresse", "postal_code": "code_postal", "city": "ville",
    "residence_id": "residence", "track": "parcours", "college_id": "college",
    "reservation_signed_on": "date_signature_reservation", "moved_in_on": "date_entree_lieux",
}
_ROW_COLUMNS = {"status": "statut", "parts": "nombre_parts", "unit_amount": "montant_part",
                "subscribed_on": "date_souscription"}
_CONSENT_COLUMNS = {"newsletter": "consentement_newsletter",
                    "econvocation": "consentement_convocation_electronique"}


def fold_lines(rows: list[Row], labels: dict[str, str]) -> list[Row]:
    """One lead row per person (the others merged into its `merged`), in file order.

    Rows already in error are left out; a group with a row in error is refused whole.
    """
    # A person of one line (nearly all of them) is kept as that Row, a list only from the
    # second line on: a list per line would cost ~10 MB per 100,000 lines.
    groups: dict[tuple, Row | list[Row]] = {}
    email_owner: dict[str, tuple] = {}
    for row in rows:
        if row.errors:
            continue
        key: tuple[str, int | str]
        if row.member_id is not None:
            key = ("member", row.member_id)
        elif row.email is not None:
            key = ("email", row.email)
        else:
            key = ("line", row.line)
        found = groups.setdefault(key, row)
        if found is not row:
            if isinstance(found, Row):
                found = groups[key] = [found]
            found.append(row)
        if row.email is not None:
            owner = email_owner.setdefault(row.email, key)
            if owner != key:  # one email, two different people
                first = next(r for r in _rows(groups[owner]) if r.email == row.email)
                for r, other in ((row, first), (first, row)):
                    r.error(labels["email"], f"Email « {row.email} » en double dans le fichier "
                                             f"(aussi ligne {other.line}).")
    leads = []
    for group in groups.values():
        same = _rows(group)
        if len(same) > 1:
            _merge(same, labels)
        refuse_together(same, labels)
        if not same[0].errors:
            leads.append(same[0])
    return sorted(leads, key=lambda r: r.line)


def _rows(group: Row | list[Row]) -> list[Row]:
    return [group] if isinstance(group, Row) else group


def refuse_together(same: list[Row], labels: dict[str, str]) -> None:
    """One line of a person refused: their other lines are not imported either."""
    refused = [r for r in same if r.errors]
    if not refused:
        return
    for row in same:
        if not row.errors:
            row.error(labels["reference"], f"Ligne non importée : elle désigne le même "
                                           f"coopérateur que la ligne {refused[0].line}, "
                                           "refusée.")


def _merge(same: list[Row], labels: dict[str, str]) -> None:
    lead, *others = same
    seen: dict[int, Row] = {}  # entity id -> the first line in it
    for row in same:
        if row.known_entity.id in seen:
            other = seen[row.known_entity.id]
            for r, o in ((row, other), (other, row)):
                r.error(labels["reference"],
                        f"Cette ligne et la ligne {o.line} désignent le même coopérateur.")
        seen.setdefault(row.known_entity.id, row)
    if any(r.errors for r in same):
        return
    values, consents = lead.values, lead.consents
    for other in others:
        conflicts = [_VALUE_COLUMNS.get(k, k) for k, v in other.values.items()
                     if values.setdefault(k, v) != v]
        conflicts += _row_conflicts(lead, other)
        conflicts += [_CONSENT_COLUMNS[k] for k, granted in other.consents.items()
                      if consents.setdefault(k, granted) != granted]
        for column in conflicts:
            for r, o in ((other, lead), (lead, other)):
                r.error(labels[column], f"La ligne {o.line} désigne le même coopérateur avec "
                                        "une autre valeur dans cette colonne.")
        lead.email = lead.email or other.email
        lead.merge(other)
    lead.values, lead.consents = values, consents


def _row_conflicts(lead: Row, other: Row) -> list[str]:
    """The columns kept on the row itself that the two lines state differently (the lead
    takes what only the other states)."""
    conflicts = []
    for key, column in _ROW_COLUMNS.items():
        value = getattr(other, key)
        if value is None:
            continue
        if getattr(lead, key) is None:
            setattr(lead, key, value)
        elif getattr(lead, key) != value:
            conflicts.append(column)
    return conflicts
