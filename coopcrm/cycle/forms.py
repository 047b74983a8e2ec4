"""Forms of the cycle pages; the rules (and their French messages) live in cycle.editions."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet

from coopcrm import fr
from coopcrm.cycle.editions import MAX_CTAS, MAX_SECTIONS
from coopcrm.forms import Form


class ContentForm(Form):
    """Title, teaser, introduction, a fixed number of sections and links, an optional image."""

    title = StringField("Titre")
    teaser = StringField("Accroche (aperçu affiché par la messagerie)")
    intro_html = TextAreaField("Introduction")
    image_url = StringField("Image (adresse https://…, facultative)")

    def to_data(self) -> dict:
        """The content dict the services take."""
        return {
            "title": self.title.data, "teaser": self.teaser.data,
            "intro_html": self.intro_html.data, "image_url": self.image_url.data,
            "sections": [{"heading": self[f"section{i}_heading"].data,
                          "body_html": self[f"section{i}_body"].data}
                         for i in range(1, MAX_SECTIONS + 1)],
            "ctas": [{"label": self[f"cta{i}_label"].data, "url": self[f"cta{i}_url"].data}
                     for i in range(1, MAX_CTAS + 1)],
        }

    def fill(self, content: dict) -> None:
        """Show stored content in the fields (GET)."""
        for name in ("title", "teaser", "intro_html", "image_url"):
            self[name].data = content.get(name) or ""
        sections = content.get("sections") or []
        for i in range(1, MAX_SECTIONS + 1):
            section = sections[i - 1] if i <= len(sections) else {}
            self[f"section{i}_heading"].data = section.get("heading", "")
            self[f"section{i}_body"].data = section.get("body_html", "")
        ctas = content.get("ctas") or []
        for i in range(1, MAX_CTAS + 1):
            cta = ctas[i - 1] if i <= len(ctas) else {}
            self[f"cta{i}_label"].data = cta.get("label", "")
            self[f"cta{i}_url"].data = cta.get("url", "")


for _i in range(1, MAX_SECTIONS + 1):
    setattr(ContentForm, f"section{_i}_heading", StringField(f"Rubrique {_i} : titre"))
    setattr(ContentForm, f"section{_i}_body", TextAreaField(f"Rubrique {_i} : texte"))
for _i in range(1, MAX_CTAS + 1):
    setattr(ContentForm, f"cta{_i}_label", StringField(f"Lien {_i} : texte du bouton"))
    setattr(ContentForm, f"cta{_i}_url", StringField(f"Lien {_i} : adresse (https://…)"))


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
