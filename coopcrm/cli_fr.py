"""Click's own messages in French.

Click marks its messages for gettext (`from gettext import gettext as _` in
each module) but ships no French catalogue. This is that catalogue, installed
in click's modules so that "No such command", "Invalid value for --now" and
"File 'x' does not exist" reach a French user in French, like our own lines.
"""

from __future__ import annotations

import importlib

CATALOGUE = {
    "Aborted!": "Interrompu.",
    "Argument {name!r} takes {nargs} values.": "L'argument {name!r} prend {nargs} valeurs.",
    "Choose from:\n\t{choices}": "Choisir parmi :\n\t{choices}",
    "Commands": "Commandes",
    "Could not open file {filename!r}: {message}":
        "Impossible d'ouvrir le fichier {filename!r} : {message}",
    "Error: {message}": "Erreur : {message}",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Missing argument": "Argument manquant",
    "Missing command.": "Commande manquante.",
    "Missing option": "Option obligatoire manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing {param_type}": "{param_type} manquant(e)",
    "No such command {name!r}.": "Commande inconnue {name!r}.",
    "No such option {name!r}.": "Option inconnue {name!r}.",
    "No such option: {name}": "Option inconnue : {name}",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Option {name!r} requires an argument.": "L'option {name!r} demande une valeur.",
    "Options": "Options",
    "Show this message and exit.": "Afficher cette aide.",
    "Try '{command} {option}' for help.": "Aide : « {command} {option} ».",
    "Usage:": "Utilisation :",
    "default: {default}": "par défaut : {default}",
    "directory": "dossier",
    "file": "fichier",
    "path": "chemin",
    "required": "obligatoire",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} illisible (droits).",
    "{name} {filename!r} is not writable.": "{name} {filename!r} non modifiable (droits).",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} n'est pas un booléen valide. Valeurs reconnues : {states}",
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
}

CATALOGUE_PLURAL = {
    "Did you mean {possibility}?": ("Vouliez-vous dire {possibility} ?",
                                    "(Possibilités : {possibilities})"),
    "{value!r} is not {choice}.": ("{value!r} n'est pas {choice}.",
                                   "{value!r} n'est pas l'un de : {choices}."),
    "Got unexpected extra argument ({args})": ("Argument en trop ({args})",
                                               "Arguments en trop ({args})"),
    "Takes {nargs} values but 1 was given.": ("Prend {nargs} valeurs, une seule donnée.",
                                              "Prend {nargs} valeurs, une seule donnée."),
}

_MODULES = ("click.core", "click.types", "click.exceptions", "click.parser", "click._parser",
            "click.termui", "click.decorators", "click.formatting", "click.shell_completion")


def _gettext(message: str) -> str:
    return CATALOGUE.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    french = CATALOGUE_PLURAL.get(singular)
    if french is None:
        return singular if n == 1 else plural
    return french[0] if n == 1 else french[1]


def install() -> None:
    """Put the French catalogue in place of gettext in every click module that has one."""
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_"):
            setattr(module, "_", _gettext)  # noqa: B010  a name click decides, not ours
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", _ngettext)  # noqa: B010
