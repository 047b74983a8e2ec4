"""Images of documents: checked with Pillow, stripped, resized for email, stored by the app.

An upload is read whole (at most MAX_BYTES), opened by Pillow (JPEG, PNG or
WebP, nothing else, whatever its name or declared type says), turned upright
(EXIF orientation), narrowed to EMAIL_WIDTH pixels at most and written again
from its pixels only: no EXIF (a phone's GPS position), no ICC profile, no
text chunk leaves with it. WebP is written as JPEG (or PNG when it has
transparency): Outlook and older mail clients do not show WebP.

Files live in `<instance>/medias/` under a random name that also gives their
size (`<22 random characters>-<width>x<height>.<jpg|png>`): the name is the only
record, and it cannot be guessed from another.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from coopcrm.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_MEGABYTES = MAX_BYTES // (1024 * 1024)
MAX_PIXELS = 50_000_000  # about a 48-megapixel phone photo; beyond, a decompression bomb
EMAIL_WIDTH = 1200  # twice the 600-pixel email column: sharp on high-density screens
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp")
JPEG_QUALITY = 85
FOLDER = "medias"
_NAME = re.compile(r"^[A-Za-z0-9_-]{22}-([1-9][0-9]{0,4})x([1-9][0-9]{0,4})\.(jpg|png)$")
FIELD = "image"


@dataclass(frozen=True)
class StoredImage:
    name: str
    width: int
    height: int


def folder() -> Path:
    """Where this installation keeps the images (created on first use)."""
    return Path(current_app.instance_path) / FOLDER


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name or ""))


def dimensions(name: str) -> tuple[int, int] | None:
    """(width, height) of a stored image, read from its name; None for a name we never give."""
    match = _NAME.match(name or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_stored(name: str) -> bool:
    return valid_name(name) and (folder() / name).is_file()


def path(name: str) -> Path | None:
    """The file of a stored image, or None."""
    return folder() / name if is_stored(name) else None


def url(name: str, base_url: str) -> str:
    """The image's absolute address (emails are read far from the app)."""
    return f"{base_url.rstrip('/')}/{FOLDER}/{name}"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({FIELD: message})


def _open(data: bytes) -> Image.Image:
    """The decoded image, or a French refusal (not an image, another format, too large)."""
    kinds = ", ".join(ACCEPTED.values())
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                size = probe.size
                probe.verify()  # structure and checksums, without decoding the pixels
            if kind not in ACCEPTED:
                raise _refuse(f"Ce format d'image n'est pas accepté ({kinds} seulement).")
            if size[0] * size[1] > MAX_PIXELS:
                raise _refuse("Cette image a trop de pixels : réduisez-la avant de l'envoyer.")
            image = Image.open(io.BytesIO(data))
            image.load()
        except ValidationFailed:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _refuse("Cette image a trop de pixels : réduisez-la avant de "
                          "l'envoyer.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _refuse(f"Ce fichier n'est pas une image lisible ({kinds}).") from None
    return image


def process(data: bytes) -> tuple[bytes, str, int, int]:
    """The image re-encoded for email: (bytes, extension, width, height)."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"L'image est trop lourde ({MAX_MEGABYTES} Mo au plus).")
    if not data:
        raise _refuse("Le fichier est vide.")
    source = _open(data)
    kind = source.format
    image = ImageOps.exif_transpose(source) or source  # upright; the orientation tag goes
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # an animation: its first frame
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    png = kind == "PNG" or (kind == "WEBP" and has_alpha)
    image = image.convert("RGBA" if has_alpha else "RGB")  # fresh pixels, no metadata
    if image.width > EMAIL_WIDTH:
        height = max(1, round(image.height * EMAIL_WIDTH / image.width))
        image = image.resize((EMAIL_WIDTH, height), Image.Resampling.LANCZOS)
    image.info.clear()
    out = io.BytesIO()
    if png:
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), "png" if png else "jpg", image.width, image.height


def store(data: bytes) -> StoredImage:
    """Check, clean, resize and keep an uploaded image; ValidationFailed (key `image`) if not."""
    content, extension, width, height = process(data)
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(16)}-{width}x{height}.{extension}"
    partial = target / f".{name}.part"
    partial.write_bytes(content)
    os.replace(partial, target / name)  # whole or absent, never half-written
    return StoredImage(name, width, height)
