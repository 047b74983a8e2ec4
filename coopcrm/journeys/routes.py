from flask import Blueprint

bp = Blueprint("journeys", __name__)
