"""The placeholders a referent picks from the editor's menu: one registry.

Each has a name (the token stored in a document), a French label (the menu,
the chip in the editor), the Jinja expression that reads its value from an
email's context, and a generic text for a page anyone reads (the public
archive, which has no recipient).

Member placeholders read `member`, the dict `sending.services.member_context`
stores with every message. Figure placeholders read variables a sender puts in
its shared context: the newsletter's live figures (`cycle.content.live_figures`).
A document may only use the placeholders its sender provides (`validate`'s
`allowed`); an unknown name is refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Placeholder:
    """One entry of the menu."""

    name: str
    label: str
    expression: str  # Jinja expression over the email context; fixed here, never user input
    generic: str = ""


MEMBER = (
    Placeholder("prenom", "Prénom", "member.first_name", "à vous"),  # "Bonjour à vous"
    Placeholder("nom", "Nom", "member.last_name"),
    Placeholder("civilite", "Civilité", "member.civility"),
    Placeholder("nom_complet", "Civilité, prénom et nom", "member.full_name",
                "Madame, Monsieur"),
    Placeholder("residence", "Résidence", "member.residence", "votre résidence"),
    Placeholder("reference", "Référence", "member.reference", "votre référence"),
    Placeholder("nombre_parts", "Nombre de parts sociales", "member.share_count", "vos parts"),
    Placeholder("montant_parts", "Montant de ses parts sociales", "member.share_amount",
                "le montant de vos parts"),
)

# The newsletter's figures, computed when an edition goes out (same for every recipient).
FIGURES = (
    Placeholder("nombre_cooperateurs", "Nombre de coopérateurs (au jour de l'envoi)",
                "nombre_cooperateurs"),
    Placeholder("montant_part", "Montant d'une part sociale", "montant_part"),
)

REGISTRY: dict[str, Placeholder] = {p.name: p for p in (*MEMBER, *FIGURES)}
MEMBER_NAMES = frozenset(p.name for p in MEMBER)
ALL_NAMES = frozenset(REGISTRY)


def menu(allowed: frozenset[str] | set[str] = ALL_NAMES) -> list[dict[str, str]]:
    """The editor's menu, in registry order: name and label of each allowed entry."""
    return [{"name": p.name, "label": p.label}
            for p in REGISTRY.values() if p.name in allowed]
