"""blocks.images: only real JPEG/PNG/WebP, metadata gone, upright, 1200 px wide at most."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from coopcrm.blocks import images
from coopcrm.errors import ValidationFailed
from tests.blocks import _images


def _files() -> set[str]:
    folder = images.folder()
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _open(name: str) -> Image.Image:
    image = Image.open(images.folder() / name)
    image.load()
    return image


def test_a_phone_photo_is_resized_and_loses_its_gps_position(app):
    data = _images.jpeg(4000, 3000)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(_images.GPS_IFD)  # the input has it
    stored = images.store(data)
    assert (stored.width, stored.height) == (images.EMAIL_WIDTH, 900)
    assert stored.name.endswith("-1200x900.jpg") and images.valid_name(stored.name)
    image = _open(stored.name)
    assert image.format == "JPEG" and image.size == (1200, 900)
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    raw = (images.folder() / stored.name).read_bytes()
    assert b"PhoneMaker" not in raw and b"Exif" not in raw


def test_exif_orientation_is_applied_then_dropped(app):
    stored = images.store(_images.jpeg(600, 300, gps=False, orientation=6))  # rotated 90°
    assert (stored.width, stored.height) == (300, 600)
    assert not _open(stored.name).getexif()


def test_png_keeps_transparency_and_loses_its_text_chunks(app):
    stored = images.store(_images.png(300, 200, alpha=True))
    image = _open(stored.name)
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (300, 200)
    assert "Author" not in image.info
    assert b"Camille" not in (images.folder() / stored.name).read_bytes()


@pytest.mark.parametrize("alpha, kind", [(False, "JPEG"), (True, "PNG")])
def test_webp_is_written_in_a_format_every_mail_client_shows(app, alpha, kind):
    stored = images.store(_images.webp(alpha=alpha))
    assert _open(stored.name).format == kind


def test_names_are_random_and_give_the_size(app):
    first, second = images.store(_images.png()), images.store(_images.png())
    assert first.name != second.name
    assert images.dimensions(first.name) == (300, 200)
    assert images.url(first.name, "https://coop.example/") == \
        f"https://coop.example/medias/{first.name}"
    assert not list(images.folder().glob(".*.part"))  # written whole, then renamed


@pytest.mark.parametrize("data, message", [
    (b"", "Le fichier est vide."),
    (b"GIF89a" + b"\x00" * 40, "n'est pas une image lisible"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "n'est pas une image lisible"),
    (b"%PDF-1.4\n" + b"x" * 100, "n'est pas une image lisible"),
    (_images.jpeg(100, 100)[:300], "n'est pas une image lisible"),
    (_images.gif(), "Ce format d'image n'est pas accepté (JPEG, PNG, WebP seulement)."),
])
def test_what_is_not_an_accepted_image_is_refused_in_french(app, data, message):
    before = _files()
    with pytest.raises(ValidationFailed) as exc:
        images.store(data)
    assert message in exc.value.errors["image"]
    assert _files() == before  # nothing written


def test_too_heavy_and_too_many_pixels_are_refused(app):
    with pytest.raises(ValidationFailed) as exc:
        images.process(b"\xff" * (images.MAX_BYTES + 1))
    assert exc.value.errors["image"] == "L'image est trop lourde (10 Mo au plus)."
    # Small files that would decode to 56 and 144 megapixels (the second one beyond
    # Pillow's own decompression-bomb threshold).
    for size in ((8_000, 7_000), (12_000, 12_000)):
        out = io.BytesIO()
        Image.new("1", size).save(out, "PNG")
        assert len(out.getvalue()) < images.MAX_BYTES
        with pytest.raises(ValidationFailed) as exc:
            images.process(out.getvalue())
        assert "trop de pixels" in exc.value.errors["image"]


def test_only_names_we_give_are_read(app):
    for name in ("../secret_key", "x.jpg", "AAAAAAAAAAAAAAAAAAAAAA-0x10.jpg",
                 "AAAAAAAAAAAAAAAAAAAAAA-10x10.gif", ".AAAAAAAAAAAAAAAAAAAAAA-10x10.jpg.part"):
        assert not images.valid_name(name) and images.path(name) is None
