"""Image files made in the test (Pillow): with metadata to strip, in every accepted format."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(width=2400, height=1600, *, gps=True, orientation=None, color=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (45.0, 45.0, 0.0), 3: "E", 4: (4.0, 50.0, 0.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png(width=300, height=200, *, alpha=False) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 120, 60, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Camille Exemple, 12 rue des Lilas")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(width=800, height=600, *, alpha=False) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (30, 30, 200, 100))
    out = io.BytesIO()
    image.save(out, "WEBP")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (20, 20)).save(out, "GIF")
    return out.getvalue()
