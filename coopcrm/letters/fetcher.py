"""What WeasyPrint may load while it lays out a letter: the app's own stored images, nothing else.

A letter's HTML holds values members and referents wrote (escaped) and
documents referents composed (sanitised): an address in it must never make the
server fetch something. WeasyPrint's default fetcher follows http(s), file://,
data: and ftp; this one answers only `<COOPCRM_BASE_URL>/medias/<name>` for a
name blocks.images gave and still keeps, read from the instance folder, and
refuses every other address (no network, no file of the server's disk).
"""

from __future__ import annotations

from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

from coopcrm.blocks import images

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


class Refused(ValueError):
    """An address a letter may not load (WeasyPrint logs it and leaves the image out)."""


class StoredImagesOnly(URLFetcher):
    """A WeasyPrint url_fetcher reading stored images from disk and refusing the rest."""

    def __init__(self, base_url: str, folder: Path):
        super().__init__(allowed_protocols=())
        self.prefix = f"{base_url.rstrip('/')}/{images.FOLDER}/"
        self.folder = folder
        self.refused: list[str] = []  # what a layout asked for and did not get (tests read it)

    def fetch(self, url, headers=None):
        """The stored image `url` names, or Refused."""
        name = url[len(self.prefix):] if url.startswith(self.prefix) else ""
        target = self.folder / name
        if not images.valid_name(name) or not target.is_file():
            self.refused.append(url)
            raise Refused(f"adresse refusée dans un courrier : {url[:200]}")
        extension = name.rsplit(".", 1)[1]
        return URLFetcherResponse(url, body=target.read_bytes(),
                                  headers={"Content-Type": CONTENT_TYPES[extension]})


def for_app(base_url: str) -> StoredImagesOnly:
    """The fetcher of this installation (its public address and its images' folder)."""
    return StoredImagesOnly(base_url, images.folder())
