"""The editor's image upload, and the images served to mail clients and pages."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, send_from_directory, url_for

from coopcrm.auth.access import editor_required
from coopcrm.blocks import images
from coopcrm.errors import ValidationFailed

bp = Blueprint("blocks", __name__)

# A stored image never changes (a new upload gets a new name): caches may keep it a year.
CACHE_SECONDS = 365 * 24 * 3600


@bp.route(f"/{images.FOLDER}", methods=["POST"])
@editor_required
def upload():
    """Store the `image` file of the request; JSON answer for the editor's script."""
    sent = request.files.get(images.FIELD)
    if sent is None or not sent.filename:
        return jsonify(error="Choisissez une image à envoyer."), 400
    data = sent.stream.read(images.MAX_BYTES + 1)
    if len(data) > images.MAX_BYTES:
        return jsonify(error=f"L'image est trop lourde ({images.MAX_MEGABYTES} Mo au "
                             "plus)."), 413
    try:
        stored = images.store(data)
    except ValidationFailed as refused:
        return jsonify(error=refused.first_message), 415
    return jsonify(image=stored.name, width=stored.width, height=stored.height,
                   url=url_for(".media", image=stored.name)), 201


@bp.route(f"/{images.FOLDER}/<image>")
def media(image: str):
    """A stored image, to anyone (mail clients fetch it without a session)."""
    if images.path(image) is None:
        abort(404)
    response = send_from_directory(images.folder(), image, max_age=CACHE_SECONDS,
                                   conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
