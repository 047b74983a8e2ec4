"""Every spreadsheet download, over real HTTP: whole, parseable, scoped, never a live formula.

The app is served on a loopback port (tests' `live_server`), so each request has
its own app context and database session, as in production: the test client
shares the test's, which hid a CSV export that sent its BOM then died
(HTTP 200, 3 bytes). Each export is downloaded as an admin and as a referent of
one entity, read whole (Content-Length checked) and parsed with the csv module
or openpyxl; a failing query answers an error status, not a cut-short 200.
Exports are written only through coopcrm.spreadsheet and sent only through
views.download (checked from the source), so a new export is held to this too.
"""

from __future__ import annotations

import ast
import csv
import http.cookiejar
import io
import re
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from coopcrm import clock
from coopcrm.auth import events
from coopcrm.auth.models import SecurityEvent
from coopcrm.campaigns.models import Campaign, CampaignRecipient
from coopcrm.events.models import Invitation
from coopcrm.extensions import db
from coopcrm.spreadsheet import FORMULA_STARTS, restore
from coopcrm.surveys.models import SurveyResponse
from tests import factories
from tests.helpers import PASSWORD, login

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
# Last names a spreadsheet would run as formulas, in each entity.
MFLA_NAMES = {'=HYPERLINK("http://x.example")', "-2+3", "Martin"}
GHT_NAMES = {"@SUM(A1:A9)", "+33 6 12", "\tGirard"}
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Export:
    name: str
    path: str  # with {event} and {survey} for the ids
    names_column: str  # the header of the column holding last names
    table: str  # a table its query reads, renamed to make it fail

    @property
    def kind(self) -> str:
        return "xlsx" if ".xlsx" in self.path else "csv"


EXPORTS = [
    Export("members.csv", "/membres/export.csv", "nom", "member_entities"),
    Export("members.xlsx", "/membres/export.xlsx", "nom", "member_entities"),
    Export("survey.csv", "/sondages/{survey}/reponses.csv", "Nom", "survey_responses"),
    Export("survey.xlsx", "/sondages/{survey}/reponses.xlsx", "Nom", "survey_responses"),
    Export("attendance sheet", "/evenements/{event}/feuille-de-presence?format=csv", "Nom",
           "event_attendances"),
    Export("labels", "/evenements/{event}/etiquettes.csv", "Nom", "event_invitations"),
    Export("printer", "/campagnes/{campaign}/imprimeur.csv", "Nom", "campaign_recipients"),
]


@pytest.fixture
def data():
    """Two entities, members with formula-like names in each, an AG inviting them all by
    post, a named survey they all answered (one answer formula-like), a campaign writing
    to them all by letter; an admin and a referent of GHT only."""
    from coopcrm.events import services as events
    from coopcrm.surveys import services as surveys

    clock.set_now(NOW)
    mfla, ght = factories.entity("MFLA"), factories.entity("GHT")
    members = [factories.member(entity, reference=f"{entity.code}-{i}", last_name=name,
                                email=None, status="cooperateur",
                                address="-1 rue du Port", city="@Lyon")
               for entity, names in ((mfla, MFLA_NAMES), (ght, GHT_NAMES))
               for i, name in enumerate(sorted(names))]
    admin = factories.user(role="admin", password=PASSWORD)
    referent = factories.user(role="referent", password=PASSWORD, entities=[ght])
    event = events.save(events.EventData(
        kind="ag_ordinaire", title="=AG 2027", place="Salle",
        starts_dt=datetime(2027, 6, 17, 16, 30, tzinfo=UTC),
        ends_dt=datetime(2027, 6, 17, 18, 30, tzinfo=UTC)), admin)
    survey = surveys.create_survey({"title": "Avis", "reminder_delay_days": 7,
                                    "reminder_max": 1})
    question = surveys.add_question(survey, {"kind": "short", "label": "=Un mot ?"})
    db.session.flush()
    for n, member in enumerate(members):
        db.session.add(Invitation(event_id=event.id, member_id=member.id, channel="courrier"))
        db.session.add(SurveyResponse(survey_id=survey.id, respondent_key=f"k{n}",
                                      member_id=member.id, channel="email",
                                      answered_on=date(2027, 2, 1),
                                      answers={str(question.id): f"=CMD|' /C calc'!A{n}"}))
    campaign = Campaign(name="=Courrier", subject="Objet", body={"version": 1, "blocks": []},
                        state="finished")
    db.session.add(campaign)
    db.session.flush()
    db.session.add_all(CampaignRecipient(campaign_id=campaign.id, member_id=m.id,
                                         channel="letter", status="letter") for m in members)
    db.session.commit()
    yield {"admin": admin, "referent": referent, "event": event.id, "survey": survey.id,
           "campaign": campaign.id}
    clock.set_now(None)


class Browser:
    """A real HTTP client with its own cookies, signed in as one user."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/connexion").read().decode()
        token = _TOKEN.search(page).group(1)
        self.opener.open(base + "/connexion", urllib.parse.urlencode(
            {"csrf_token": token, "email": email, "password": PASSWORD}).encode())

    def get(self, path: str):
        try:
            response = self.opener.open(self.base + path)
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        return response.status, response.headers, response.read()


def _rows(export: Export, body: bytes) -> list[list]:
    """The file parsed, checked to be whole and free of live formulas."""
    if export.kind == "csv":
        assert body.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""),
                               delimiter=";"))
    else:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:  # BadZipFile if cut short
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
            assert sheets and not any(re.search(rb"<f[ >]", archive.read(n)) for n in sheets)
        sheet = load_workbook(io.BytesIO(body)).worksheets[0]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows and all(len(row) == len(rows[0]) for row in rows)
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and cell[:1] in FORMULA_STARTS:
                raise AssertionError(f"{export.name}: formula-like cell left live: {cell!r}")
    return rows


@pytest.mark.parametrize("who", ["admin", "referent"])
@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.name)
def test_every_export_downloads_whole_parsed_and_scoped(live_server, data, export, who):
    browser = Browser(live_server, data[who].email)
    status, headers, body = browser.get(export.path.format(**data))
    assert status == 200, body[:500]
    assert headers["Content-Disposition"].startswith("attachment")
    assert int(headers["Content-Length"]) == len(body)
    rows = _rows(export, body)
    column = rows[0].index(export.names_column)
    names = {restore(row[column]) for row in rows[1:] if row[column]}
    assert names == (MFLA_NAMES | GHT_NAMES if who == "admin" else GHT_NAMES)
    if export.name.startswith("survey"):
        # One line per answer the user may see: a referent gets their entity's members'
        # answers only (members.scoping), never another entity's, even without the name.
        assert len(rows) - 1 == len(MFLA_NAMES | GHT_NAMES if who == "admin" else GHT_NAMES)
        assert all(restore(row[-1]).startswith("=CMD|") for row in rows[1:])
    # The security log says who took which file of how many rows (issue 12).
    db.session.rollback()  # see what the server's request committed
    entry = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "export")).one()
    assert entry.user_id == data[who].id
    filename = headers["Content-Disposition"].split("filename=")[-1].strip('"')
    assert entry.detail == events.export_detail(filename, len(rows) - 1)


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.name)
def test_a_failing_query_answers_an_error_not_a_cut_short_file(app, client, data, export,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    login(client, data["admin"])
    db.session.close()  # PostgreSQL: no lock of ours in the way of the rename
    with db.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {export.table} RENAME TO {export.table}_gone"))
    try:
        response = client.get(export.path.format(**data))
        body = response.get_data()
    finally:
        db.session.rollback()
        db.session.close()
        with db.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {export.table}_gone RENAME TO {export.table}"))
    assert response.status_code == 500
    assert "Content-Disposition" not in response.headers
    assert not body.startswith(("\ufeff".encode(), b"PK"))


def test_a_failure_while_writing_never_starts_the_response(app):
    """Lines that fail half-way (a value that cannot be read, say): nothing is sent."""
    from coopcrm.views import download

    def lines():
        yield ["nom"]
        yield ["Martin"]
        raise RuntimeError("la base a disparu")

    for name in ("x.csv", "x.xlsx"):
        with app.test_request_context(), pytest.raises(RuntimeError):
            download(lines(), name)


ROOT = Path(__file__).resolve().parent.parent / "coopcrm"
# Who may write a spreadsheet or send a file: everything else goes through them.
WRITERS = {"coopcrm/spreadsheet.py": {"csv.writer", "Workbook"},
           "coopcrm/views.py": {"send_file"}}


def test_spreadsheets_are_written_and_sent_in_one_place_only():
    """csv.writer, openpyxl's Workbook, send_file and stream_with_context appear only
    where every export goes through: a new export cannot skip neutralising or stream."""
    watched = {"writer", "Workbook", "send_file", "stream_with_context"}
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
            if name in watched and isinstance(getattr(node, "ctx", None), ast.Load):
                where = str(path.relative_to(ROOT.parent))
                shown = "csv.writer" if name == "writer" else name
                if name == "writer" and not (isinstance(node, ast.Attribute)
                                             and getattr(node.value, "id", "") == "csv"):
                    continue
                found.setdefault(where, set()).add(shown)
    assert found == WRITERS


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_member_download_reimports_unchanged(live_server, data, kind):
    """Formula-like names and addresses (=, -, @, +) come back exactly as stored."""
    from coopcrm.members.importing.service import import_members
    from coopcrm.members.models import Member

    # A leading tab is no longer a value anything lets in (coopcrm.plaintext): the
    # import would refuse it, rightly.
    db.session.execute(db.update(Member).where(Member.last_name == "\tGirard")
                       .values(last_name="Girard"))
    db.session.commit()
    before = sorted(db.session.execute(db.select(
        Member.id, Member.last_name, Member.address, Member.city)).all())
    status, _, body = Browser(live_server, data["admin"].email).get(f"/membres/export.{kind}")
    assert status == 200
    report = import_members(body, f"export.{kind}", user=data["admin"])
    assert report.written and not report.problems, report.problems
    assert (report.created, report.updated, report.invalid) == (0, 0, 0)
    assert report.unchanged == len(MFLA_NAMES | GHT_NAMES)
    db.session.expire_all()
    assert sorted(db.session.execute(db.select(
        Member.id, Member.last_name, Member.address, Member.city)).all()) == before
