"""The register of processing activities (registre des traitements, RGPD art. 30).

Written from what the application does and from its configuration: the retention
periods are those in force (privacy/periods.py: an admin's value, else the setting),
the controller the cooperative's name and sender address. The DPO completes it
(security measures of the hosting, processors) outside the application; this is the
part the software knows. A page for admins, and the same content as a PDF
(`document()`, through coopcrm/letters).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app

from coopcrm.privacy import periods
from coopcrm.privacy.legal import LEGAL_RECORDS


@dataclass(frozen=True)
class Processing:
    """One processing activity, as the art. 30 register lists it."""

    purpose: str
    basis: str
    people: str
    data: str
    recipients: str
    retention: str


def controller() -> dict[str, str]:
    config = current_app.config
    return {"name": config["COOP_NAME"],
            "contact": parseaddr(config["MAIL_FROM"])[1] or "—"}


def processings() -> list[Processing]:
    """The activities, with the retention periods in force (privacy/periods.py)."""
    c = periods.values()
    share_years = c[LEGAL_RECORDS["share_register"].years_setting]
    ag_years = c[LEGAL_RECORDS["ag_attendance"].years_setting]
    return [
        Processing(
            "Tenue du fichier des coopérateurs et du registre des parts sociales",
            "Obligation légale (Code de commerce L228-1, R228-8 ; loi du 10 septembre 1947) "
            "et exécution du contrat de société",
            "Coopérateurs (locataires, accédants, salariés, administrateurs), anciens "
            "coopérateurs, prospects",
            "Identité, coordonnées, entité, résidence, parcours, collège, parts sociales "
            "(souscriptions, remboursements), moments clés du parcours",
            "Référents vie coopérative et administrateurs de l'application, dans le "
            "périmètre de leurs entités",
            f"Prospect : {c['RETENTION_PROSPECT_YEARS']} ans après le dernier contact ; ancien "
            f"coopérateur : {c['RETENTION_FORMER_YEARS']} ans après le dernier remboursement ; "
            f"registre des parts : identité conservée {share_years} ans après l'anonymisation"),
        Processing(
            "Information des coopérateurs (lettres d'information, campagnes, courriers)",
            "Consentement (email) ; intérêt légitime de la coopérative (courrier)",
            "Coopérateurs",
            "Identité, adresse email et postale, consentements et leurs preuves, historique "
            "des envois (date, objet, statut)",
            "Référents ; prestataire d'envoi des emails (relais SMTP) ; imprimeur pour les "
            "courriers",
            f"Données de fusion des messages : {c['RETENTION_OUTBOX_MONTHS']} mois après "
            "l'envoi ; messages reçus (expéditeur, objet, texte) : "
            f"{c['RETENTION_INBOX_MONTHS']} mois ; consentements : tant que la fiche existe "
            "(scans des formulaires papier effacés à l'anonymisation)"),
        Processing(
            "Assemblées générales : convocations, pouvoirs, feuilles de présence, quorum",
            "Obligation légale (Code de commerce R225-63, R225-95)",
            "Coopérateurs convoqués, mandataires",
            "Identité, collège, convocation (canal), réponse, pouvoir, présence",
            "Référents ; bureau de l'assemblée",
            f"Feuilles de présence et pouvoirs : identité conservée {ag_years} ans après "
            "l'anonymisation"),
        Processing(
            "Enquêtes auprès des coopérateurs",
            "Intérêt légitime (connaître les attentes des coopérateurs)",
            "Coopérateurs invités",
            "Réponses (anonymes ou nominatives selon l'enquête), date et canal de réponse",
            "Référents",
            "Textes libres des réponses nominatives effacés à l'anonymisation ; résultats "
            "agrégés conservés"),
        Processing(
            "Sécurité de l'application et journal des consultations",
            "Obligation légale (art. 32 RGPD) et intérêt légitime",
            "Utilisateurs de l'application",
            "Connexions, échecs, exports (fichier, nombre de lignes), consultations des "
            "fiches (qui, quand, quoi)",
            "Administrateurs ; utilisateurs ayant le droit « voir le journal des "
            "consultations »",
            f"Journal de sécurité : {current_app.config['SECURITY_LOG_DAYS']} jours ; "
            "consultations : "
            f"{c['RETENTION_READS_DAYS']} jours"),
        Processing(
            "Demandes relatives aux données personnelles",
            "Obligation légale (art. 12 à 22 RGPD)",
            "Personnes ayant exercé un droit",
            "Nature, date, canal de la demande ; réponse apportée",
            "Référents ; délégué à la protection des données",
            "Identité du demandeur effacée à l'anonymisation de sa fiche"),
    ]


def document(today) -> bytes:
    """The register as a PDF (French), laid out like the subject-access document."""
    from coopcrm.letters.services import document_pdf

    return document_pdf("privacy/register_document.html", "access-pdf.css",
                        **context(today))


def context(today) -> dict:
    """What the page and the PDF show."""
    return {"controller": controller(), "processings": processings(), "legal": LEGAL_RECORDS,
            "today": today}
