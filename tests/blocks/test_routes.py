"""Upload and serving of images over HTTP: editors upload, anyone (a mail client) reads."""

from __future__ import annotations

import io

from coopcrm.blocks import images
from tests import factories
from tests.blocks import _images
from tests.helpers import csrf_token, login


def _upload(client, data: bytes, filename="photo.jpg", content_type="image/jpeg", token=None):
    token = token or csrf_token(client, "/tableau-de-bord")
    return client.post("/medias", data={"image": (io.BytesIO(data), filename, content_type)},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")


def test_an_editor_uploads_an_image_and_anyone_can_read_it(client, referent):
    login(client, referent)
    resp = _upload(client, _images.jpeg(2400, 1200))
    assert resp.status_code == 201
    answer = resp.get_json()
    assert answer["width"] == 1200 and answer["height"] == 600
    assert answer["url"] == f"/medias/{answer['image']}" and images.is_stored(answer["image"])

    anonymous = client.application.test_client()
    served = anonymous.get(answer["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == (images.folder() / answer["image"]).read_bytes()
    cache = served.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in served.headers  # no session for a mail client
    again = anonymous.get(answer["url"], headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_bad_files_are_refused_in_french(client, referent):
    login(client, referent)
    token = csrf_token(client, "/tableau-de-bord")
    not_image = _upload(client, b"MZ\x90\x00 ceci est un exe", "photo.jpg", token=token)
    assert not_image.status_code == 415
    assert "n'est pas une image lisible" in not_image.get_json()["error"]
    svg = _upload(client, b"<svg onload='alert(1)'/>", "a.svg", "image/svg+xml", token=token)
    assert svg.status_code == 415
    gif = _upload(client, _images.gif(), "a.gif", "image/gif", token=token)
    assert gif.get_json() == {"error": "Ce format d'image n'est pas accepté (JPEG, PNG, WebP "
                                       "seulement)."}
    too_big = _upload(client, b"\xff\xd8" + b"\x00" * images.MAX_BYTES, token=token)
    assert too_big.status_code == 413
    assert too_big.get_json() == {"error": "L'image est trop lourde (10 Mo au plus)."}
    none = client.post("/medias", data={}, headers={"X-CSRFToken": token})
    assert none.status_code == 400 and "Choisissez une image" in none.get_json()["error"]


def test_upload_needs_an_editor_and_a_csrf_token(client):
    anonymous = _upload(client, _images.png(), token=csrf_token(client, "/connexion"))
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    lecteur = factories.user(role="lecteur")
    login(client, lecteur)
    assert _upload(client, _images.png()).status_code == 403
    referent = factories.user(role="referent")
    client.post("/deconnexion", headers={"X-CSRFToken": csrf_token(client, "/tableau-de-bord")})
    login(client, referent)
    no_token = client.post("/medias", data={"image": (io.BytesIO(_images.png()), "a.png")},
                           content_type="multipart/form-data")
    assert no_token.status_code == 400


def test_unknown_or_crafted_names_are_not_found(client):
    for name in ("AAAAAAAAAAAAAAAAAAAAAA-10x10.jpg", "..%2Fsecret_key", "secret_key",
                 "%2E%2E%2Fcoopcrm.db"):
        assert client.get(f"/medias/{name}").status_code == 404
