"""Issue 12, finding 8: a password policy after CNIL 2022-100, everywhere a password is set."""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select

from coopcrm import resources
from coopcrm.auth import passwords
from coopcrm.auth.cli import users
from coopcrm.auth.models import User
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD, login, post

ROOT = Path(__file__).resolve().parents[2]
COMMON = "fait partie des mots de passe les plus courants"
PERSONAL = "ne doit contenir ni le nom ni l'adresse email du compte"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("password, expected", [
    ("court", "au moins 12 caractères"),
    ("aaaaaaaaaaaa", COMMON),
    ("Password1234", COMMON),
    ("MOTDEPASSE123", COMMON),
    ("Dupont-maison-2027", PERSONAL),
    ("dÜpont-maison-2027", PERSONAL),
    ("jeandupont!!!!", PERSONAL),
    ("j.dupont12345", PERSONAL),
    ("la maison bleue au bord du lac", None),
])
def test_policy(password, expected):
    problem = passwords.problem(password, name="Jean Dupont", email="J.Dupont@coop.example")
    if expected is None:
        assert problem is None
    else:
        assert expected in problem


def test_the_list_ships_in_the_package_and_holds_only_what_length_does_not_refuse(app):
    listed = passwords.common_passwords()
    assert len(listed) > 10_000
    assert min(len(p) for p in listed) == app.config["PASSWORD_MIN_LENGTH"]
    assert resources.text(resources.AUTH, passwords.COMMON_PASSWORDS).startswith("#")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "data/*.txt" in data["package-data"]["coopcrm.auth"]
    assert PASSWORD not in listed  # the suite's own password stays usable


def test_admin_form_refuses_a_common_password_and_the_users_name(client, admin):
    login(client, admin)
    r = post(client, "/admin/utilisateurs/nouveau",
             {"email": "paul.martin@coop.example", "name": "Paul Martin", "role": "admin",
              "password": "qwerty123456"})
    assert r.status_code == 422 and COMMON in _text(r)
    r = post(client, "/admin/utilisateurs/nouveau",
             {"email": "paul.martin@coop.example", "name": "Paul Martin", "role": "admin",
              "password": "Martin du lac 2027"})
    assert r.status_code == 422 and PERSONAL in _text(r)
    user = factories.user(name="Léa Girard", all_entities=True)
    r = post(client, f"/admin/utilisateurs/{user.id}",
             {"email": user.email, "name": user.name, "role": "referent", "all_entities": "y",
              "password": "LEA-girard-au-soleil"})
    assert r.status_code == 422 and PERSONAL in _text(r)
    assert db.session.scalar(select(User).where(User.email == "paul.martin@coop.example")) is None


def test_changing_ones_password_applies_the_policy(client, referent):
    login(client, referent)
    for new, expected in (("aaaaaaaaaaaa", COMMON), ("court", "au moins 12 caractères"),
                          (referent.name + " et moi", PERSONAL)):
        r = post(client, "/compte/mot-de-passe", {"current_password": PASSWORD,
                                                  "password": new, "confirm": new})
        assert r.status_code == 422 and expected in _text(r), new
    r = post(client, "/compte/mot-de-passe", {"current_password": "pas le bon",
                                              "password": "une phrase assez longue",
                                              "confirm": "une phrase assez longue"})
    assert "Mot de passe actuel incorrect." in _text(r)
    r = post(client, "/compte/mot-de-passe", {"current_password": PASSWORD,
                                              "password": "une phrase assez longue",
                                              "confirm": "une autre phrase longue"})
    assert "Les deux mots de passe ne sont pas identiques." in _text(r)
    db.session.refresh(referent)
    assert referent.check_password(PASSWORD)


def _cli(cli, *args: str, password: str) -> Result:
    return cli.invoke(users, ["create", *args, "--password-stdin"], input=password + "\n")


def test_users_create_applies_the_policy(cli):
    weak = _cli(cli, "--email", "chef@coop.example", "--name", "Chef", "--role", "admin",
                password="azerty123456")
    assert weak.exit_code != 0 and COMMON in weak.output
    personal = _cli(cli, "--email", "chef@coop.example", "--name", "Chef", "--role", "admin",
                    password="le chef du village")
    assert personal.exit_code != 0 and PERSONAL in personal.output
    ok = _cli(cli, "--email", "chef@coop.example", "--name", "Chef", "--role", "admin",
              password="une phrase de passe solide")
    assert ok.exit_code == 0, ok.output
