"""The privacy notice every bulk email and member-link page ends with (RGPD art. 13-14):
who processes the data and how to exercise one's rights. COOPCRM_PRIVACY_NOTICE
replaces the default; written once here, read by the emails and the public pages."""

from __future__ import annotations

from email.utils import parseaddr

from flask import current_app

DEFAULT = ("{coop} traite vos données pour la vie coopérative (informations, assemblées "
           "générales, enquêtes). Pour y accéder, les rectifier, vous opposer à un envoi ou "
           "en demander l'effacement, écrivez à {contact}.")


def text() -> str:
    """The notice, with the cooperative's name and the address to write to."""
    config = current_app.config
    custom = (config.get("PRIVACY_NOTICE") or "").strip()
    if custom:
        return custom
    contact = parseaddr(config["MAIL_FROM"])[1] or "la coopérative"
    return DEFAULT.format(coop=config["COOP_NAME"], contact=contact)
