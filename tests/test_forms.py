"""Every form of the app refuses control characters in its one-line fields.

The forms are found by importing every module of coopcrm, so a form added
tomorrow is walked too; each is built in a request posting a line break (and
other controls) into every field, and must refuse each one-line field in French.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import wtforms
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

import coopcrm
from coopcrm.forms import Form, MultiLine, OneLine

HOSTILE = ("Dupont\r\nBcc: x@exemple.test", "a\rb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b",
           "a\u2028b", "a\u2029b", "a\tb")


def _form_classes() -> list[type[FlaskForm]]:
    for info in pkgutil.walk_packages(coopcrm.__path__, "coopcrm."):
        importlib.import_module(info.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("coopcrm.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found - {Form}, key=lambda c: f"{c.__module__}.{c.__qualname__}")


FORMS = _form_classes()


def _fields(form_class, app, data=None) -> list[wtforms.Field]:
    with app.test_request_context(method="POST", data=data or {}):
        form = form_class(meta={"csrf": False})
        return list(form)


def _one_line(field: wtforms.Field) -> bool:
    return not isinstance(field, wtforms.TextAreaField | wtforms.PasswordField | wtforms.FileField)


def test_the_walk_finds_the_forms():
    names = {c.__name__ for c in FORMS}
    assert {"MemberForm", "UserForm", "EventForm", "SurveyForm", "SegmentNameForm",
            "ContentForm", "IssueForm", "RuleForm", "MomentTypeForm", "EntityForm",
            "ConsentForm"} <= names
    assert len(FORMS) >= 30


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_every_form_derives_from_the_guarded_base(form_class):
    assert issubclass(form_class, Form), f"{form_class.__qualname__} must derive from forms.Form"


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_one_line_fields_carry_the_guard_and_refuse_controls(app, form_class):
    fields = _fields(form_class, app)
    for field in fields:
        kinds = [type(v) for v in field.validators]
        if isinstance(field, wtforms.PasswordField | wtforms.FileField):
            # a secret is taken as typed; a file is bytes, checked by what stores them
            assert OneLine not in kinds and MultiLine not in kinds
        elif isinstance(field, wtforms.TextAreaField):
            assert kinds[0] is MultiLine, field.name
        else:
            assert kinds[0] is OneLine, field.name
    one_line = [f.name for f in fields if _one_line(f)]
    for value in HOSTILE:
        with app.test_request_context(method="POST",
                                      data=MultiDict([(n, value) for n in one_line])):
            form = form_class(meta={"csrf": False})
            for field in form:
                if isinstance(field, wtforms.SelectFieldBase) and field.choices is None:
                    field.choices = []
            form.validate()
            for name in one_line:
                errors = form[name].errors
                # A form may put its own words on a choice it refuses ("Entité inconnue."):
                # refused all the same. A text field says why.
                text = isinstance(form[name], wtforms.StringField)
                assert errors and (not text or any("Caractère interdit" in e for e in errors)), \
                    (form_class.__name__, name, value, errors)


def test_text_areas_keep_newlines_and_tabs_and_refuse_other_controls(app):
    from coopcrm.events.forms import EventForm

    with app.test_request_context(method="POST", data={"description": "Un\r\ndeux\rtrois\tfin",
                                                        "summary": "a\x00b"}):
        form = EventForm(meta={"csrf": False})
        form.validate()
        assert form.description.data == "Un\ndeux\ntrois\tfin" and not form.description.errors
        assert form.summary.errors == ["Caractère interdit (caractère nul) : retirez-le du texte."]


def test_the_message_names_the_character(app):
    from coopcrm.segments.forms import SegmentNameForm

    for value, named in (("a\nb", "retour à la ligne"), ("a\tb", "tabulation"),
                         ("a\x00b", "caractère nul"), ("a\x1bb", "caractère de contrôle U+001B")):
        with app.test_request_context(method="POST", data={"name": value}):
            form = SegmentNameForm(meta={"csrf": False})
            assert not form.validate()
            assert form.name.errors == [f"Caractère interdit ({named}) : ce champ tient sur "
                                        "une ligne, sans caractère de contrôle."]


def test_plain_values_pass(app):
    from coopcrm.segments.forms import SegmentNameForm

    with app.test_request_context(method="POST", data={"name": "Résidence « Les Tilleuls »"}):
        assert SegmentNameForm(meta={"csrf": False}).validate()


def test_count_of_guarded_fields(app):
    """The figure the hardening issue asked for; it only grows."""
    strings = [f for c in FORMS for f in _fields(c, app)
               if type(f) in (wtforms.StringField, wtforms.EmailField)]
    guarded = [f for c in FORMS for f in _fields(c, app) if _one_line(f)]
    print(f"\n{len(strings)} StringField/EmailField, {len(guarded)} one-line fields guarded")
    assert len(strings) >= 40 and all(type(f.validators[0]) is OneLine for f in strings)
