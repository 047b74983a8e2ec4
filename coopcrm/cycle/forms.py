"""Forms of the cycle pages; the rules (and their French messages) live in cycle.editions."""

from __future__ import annotations

import json

from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet

from coopcrm import fr
from coopcrm.cycle.content import editor_document
from coopcrm.forms import Form


class ContentForm(Form):
    """Title, teaser and the body, written in the block editor (its JSON in a hidden field)."""

    title = StringField("Titre")
    teaser = StringField("Accroche (aperçu affiché par la messagerie)")
    body = HiddenField()

    def to_data(self) -> dict:
        """The content dict the services take (`body`: the editor's JSON, checked there)."""
        return {"title": self.title.data, "teaser": self.teaser.data,
                "body": self.body.data if self.body.data is not None else ""}

    def fill(self, content: dict) -> None:
        """Show stored content in the fields (GET): older content opens as blocks."""
        self.title.data = content.get("title") or ""
        self.teaser.data = content.get("teaser") or ""
        self.body.data = json.dumps(editor_document(content), ensure_ascii=False)


class IssueForm(ContentForm):
    """Admins: an issue's theme, send date and standing content."""

    theme = StringField("Thème")
    send_day = StringField("Jour")
    send_month = SelectField("Mois", choices=[SelectChoice(str(i), m)
                                              for i, m in enumerate(fr.MONTHS, start=1)],
                             validate_choice=False)
    send_hour = StringField("Heure")
    send_minute = StringField("Minutes")

    def to_data(self) -> dict:
        return {**super().to_data(), "theme": self.theme.data, "send_day": self.send_day.data,
                "send_month": self.send_month.data, "send_hour": self.send_hour.data,
                "send_minute": self.send_minute.data}

    def fill_issue(self, issue) -> None:
        self.fill(issue.content())
        self.theme.data = issue.theme
        self.send_day.data = str(issue.send_day)
        self.send_month.data = str(issue.send_month)
        self.send_hour.data = str(issue.send_hour)
        self.send_minute.data = f"{issue.send_minute:02d}"


class ActionForm(Form):
    """A bare POST (approve, reopen, send a test): CSRF only."""

    member_id = HiddenField()
