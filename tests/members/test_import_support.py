"""Shared bits of the import/export tests: reference data and files built in memory."""

from __future__ import annotations

import io
from decimal import Decimal

from tests import factories

HEADER = ("reference;civilite;prenom;nom;email;telephone;adresse;code_postal;ville;entite;"
          "residence;parcours;college;statut;date_signature_reservation;date_entree_lieux;"
          "nombre_parts;montant_part;date_souscription;consentement_newsletter;"
          "consentement_convocation_electronique")


def reference_data():
    """Two entities, a residence in MFLA, two colleges."""
    mfla = factories.entity("MFLA", name="MFLA", share_unit_amount=Decimal("16.00"))
    ght = factories.entity("GHT", name="GHT", share_unit_amount=Decimal("20.00"))
    factories.residence(mfla, name="Les Annonciades")
    factories.college("accedants", name="Accédants")
    factories.college("locataires", name="Locataires")
    return mfla, ght


def csv_bytes(*lines: str, header: str = HEADER, sep: str = ";", encoding: str = "utf-8") -> bytes:
    text = "\r\n".join([header, *lines]) + "\r\n"
    if sep != ";":
        text = text.replace(";", sep)
    return text.encode(encoding)


def row(**values) -> str:
    """One data line with the HEADER's columns; unspecified cells are empty."""
    columns = HEADER.split(";")
    unknown = set(values) - set(columns)
    assert not unknown, unknown
    return ";".join(str(values.get(c, "")) for c in columns)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for line in rows:
        sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
