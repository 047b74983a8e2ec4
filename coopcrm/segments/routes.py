from flask import Blueprint

bp = Blueprint("segments", __name__)


@bp.route("/segments")
def index():
    return "Segments"
