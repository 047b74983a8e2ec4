"""What a domain adds to pages it does not own: member-page panels, navigation links and
template globals (indico's template hooks, kept small).

A domain registers its own from its blueprint module; the registration takes
effect for each app that registers the blueprint. The member page and base.html
name no domain: they loop over what was registered, in `order`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, render_template
from flask.sansio.app import App
from markupsafe import Markup

EXTENSION = "coopcrm.ui"


def everyone(user) -> bool:
    """Any signed-in user (the default visibility of a navigation link)."""
    return True


def editors(user) -> bool:
    """Users who may change data (referents and admins)."""
    return bool(user.can_edit)


def admins(user) -> bool:
    """Admins only."""
    return bool(user.is_admin)


@dataclass(frozen=True)
class MemberPanel:
    """A section of the member page: `template` rendered with `member` and `context(member)`."""

    name: str
    template: str
    context: Callable[[Any], Mapping[str, Any]]
    order: int


@dataclass(frozen=True)
class NavEntry:
    """A link of the main navigation, shown to the users `visible(user)` accepts."""

    endpoint: str
    label: str
    order: int
    visible: Callable[[Any], bool]


@dataclass
class Registry:
    """One app's panels and navigation links."""

    panels: dict[str, MemberPanel] = field(default_factory=dict)
    nav: dict[str, NavEntry] = field(default_factory=dict)


def registry(app: App) -> Registry:
    """The app's registry (created on first use)."""
    return app.extensions.setdefault(EXTENSION, Registry())


def _add(entries: dict, key: str, entry) -> None:
    if key in entries:  # two domains (or a copy-paste) claiming one slot: say so at start-up
        raise ValueError(f"{key!r} is registered twice")
    entries[key] = entry


def register_member_panel(bp: Blueprint, name: str, template: str,
                          context_fn: Callable[[Any], Mapping[str, Any]], order: int) -> None:
    """Add a section to the member page of every app that registers `bp`.

    `context_fn(member)` gives the template's variables besides `member`; the page
    shows panels by increasing `order`.
    """
    panel = MemberPanel(name, template, context_fn, order)
    bp.record_once(lambda state: _add(registry(state.app).panels, name, panel))


def register_nav(bp: Blueprint, endpoint: str, label: str, order: int,
                 visible: Callable[[Any], bool] = everyone) -> None:
    """Add a link to `endpoint` to the main navigation, by increasing `order`."""
    entry = NavEntry(endpoint, label, order, visible)
    bp.record_once(lambda state: _add(registry(state.app).nav, endpoint, entry))


def register_globals(bp: Blueprint, **values: Any) -> None:
    """Make `values` Jinja globals of every app that registers `bp`.

    Globals, not a context processor: macros imported by a template see globals only.
    """
    bp.record_once(lambda state: state.app.jinja_env.globals.update(values))


def member_panels(app: Flask | None = None) -> list[MemberPanel]:
    """The registered member-page panels, in page order."""
    panels = registry(app or current_app).panels.values()
    return sorted(panels, key=lambda p: (p.order, p.name))


def render_member_panels(member) -> list[Markup]:
    """Each panel of the member page, rendered for `member`, in page order."""
    return [Markup(render_template(p.template, member=member, **p.context(member)))
            for p in member_panels()]


def nav_entries(user) -> list[NavEntry]:
    """The navigation links `user` may see, in order."""
    entries = sorted(registry(current_app).nav.values(), key=lambda e: (e.order, e.endpoint))
    return [e for e in entries if e.visible(user)]


def init_app(app: Flask) -> None:
    """Give base.html its navigation and the member page its panels."""
    app.jinja_env.globals.update(nav_entries=nav_entries, render_member_panels=render_member_panels)
