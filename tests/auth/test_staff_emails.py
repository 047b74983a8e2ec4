"""Issue 12, finding 8: staff emails normalised (NFKC, lower case), lookalike scripts refused."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from coopcrm.auth import addresses
from coopcrm.auth.cli import users
from coopcrm.auth.models import User
from coopcrm.extensions import db
from tests.helpers import login, post

CYRILLIC_A = "\u0430"
MIXED = "mélange plusieurs alphabets"
NEW = "une phrase de passe solide"


@pytest.mark.parametrize("typed, stored", [
    ("  Paul.Martin@Coop.Example ", "paul.martin@coop.example"),
    ("\uff50\uff41\uff55\uff4c@coop.example", "paul@coop.example"),  # full-width letters
])
def test_addresses_are_normalised(typed, stored):
    assert addresses.normalise(typed) == stored
    assert addresses.problem(stored) is None


@pytest.mark.parametrize("email, expected", [
    (f"p{CYRILLIC_A}ul@coop.example", addresses.MIXED),
    (f"paul@co{CYRILLIC_A}p.example", addresses.MIXED),
    ("paul@xn--cop-7cd.example", addresses.MIXED),  # the same, written in punycode
    ("\u0438\u0432\u0430\u043d@coop.example", None),  # all Cyrillic: a real address
    ("pas-un-email", addresses.INVALID),
])
def test_mixed_scripts_are_refused(email, expected):
    assert addresses.problem(email) == expected


def test_the_admin_form_stores_the_normal_form_and_refuses_lookalikes(client, admin):
    login(client, admin)
    r = post(client, "/admin/utilisateurs/nouveau",
             {"email": f"{CYRILLIC_A}dmin2@coop.example", "name": "Faux", "role": "admin",
              "password": NEW})
    assert r.status_code == 422 and MIXED in html.unescape(r.get_data(as_text=True))
    r = post(client, "/admin/utilisateurs/nouveau",
             {"email": "\uff2c\uff25\uff21@Coop.Example", "name": "Léa", "role": "admin",
              "password": NEW})
    assert r.status_code == 302
    assert db.session.scalar(select(User.email).where(User.name == "Léa")) == "lea@coop.example"
    # The same address typed differently is the same account: refused as a duplicate.
    r = post(client, "/admin/utilisateurs/nouveau",
             {"email": "LEA@coop.example", "name": "Autre", "role": "admin", "password": NEW})
    assert "Un utilisateur existe déjà avec cet email." in r.get_data(as_text=True)


def test_the_cli_refuses_lookalikes(cli):
    result = cli.invoke(users, ["create", "--email", f"{CYRILLIC_A}dmin@coop.example",
                                "--name", "Faux", "--role", "admin", "--password-stdin"],
                        input=NEW + "\n")
    assert result.exit_code != 0 and MIXED in result.output
    assert db.session.scalar(select(User.id)) is None


def test_sign_in_finds_the_account_however_the_address_is_typed(client, referent):
    typed = referent.email.upper().replace("U", "\uff35")  # a full-width "U"
    page = post(client, "/connexion", {"email": typed, "password": "correct horse battery"},
                follow_redirects=True).get_data(as_text=True)
    assert "Coopérateurs" in page
