"""French error pages."""

from flask import Flask, render_template

MESSAGES = {
    400: ("Requête invalide",
          "La demande n'a pas pu être comprise. Rechargez la page et réessayez."),
    403: ("Accès refusé", "Votre rôle ne permet pas cette action."),
    404: ("Page introuvable", "Cette page n'existe pas ou vous n'y avez pas accès."),
    413: ("Fichier trop volumineux", "Le fichier dépasse la taille maximale autorisée."),
    500: ("Erreur interne", "Une erreur est survenue. Rien n'a été enregistré ; réessayez."),
}


def register(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    from coopcrm.errors import ReadOnlyHere
    from coopcrm.params import BadInput

    def render(code: int):
        title, text = MESSAGES[code]
        return render_template("error.html", code=code, title=title, text=text), code

    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(BadInput)
    def _bad_input(e):  # says what is wrong, in French
        return render_template("error.html", code=400, title=MESSAGES[400][0],
                               text=e.description), 400

    @app.errorhandler(ReadOnlyHere)
    def _read_only(e):  # says why, in French: the role alone would allow it
        return render_template("error.html", code=403, title=MESSAGES[403][0],
                               text=e.description), 403

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return (
            render_template(
                "error.html",
                code=400,
                title="Formulaire expiré",
                text=("Le formulaire a expiré ou n'est pas valide. "
                      "Rechargez la page et recommencez."),
            ),
            400,
        )
