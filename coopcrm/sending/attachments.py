"""Files a whole send carries (a campaign's PDF), stored once by the app.

An upload is recognised by its content, never by its name or declared type:
PDF, images (JPEG, PNG, GIF, WebP) and office documents (Word, Excel,
PowerPoint, OpenDocument; macro-enabled ones refused). The file is kept under
`<instance>/attachments/` with a random name; the send's shared context holds a
reference to it (`reference`), never its bytes, so 100,000 outbox rows do not
hold 100,000 copies. The flush reads and encodes it once per run (`loaded`).
"""

from __future__ import annotations

import base64
import io
import os
import re
import secrets
import unicodedata
import zipfile
from pathlib import Path

from flask import current_app

from coopcrm.plaintext import CONTROLS

FOLDER = "attachments"
_STORED = re.compile(r"^[A-Za-z0-9_-]{22}\.bin$")
FILENAME_MAX = 120  # CampaignAttachment.filename
UNREADABLE = ("Ce fichier n'est pas accepté : PDF, image (JPEG, PNG, GIF, WebP) ou document "
              "bureautique (Word, Excel, PowerPoint, OpenDocument) seulement.")

# What a file is, from its first bytes: (content type, extension).
_MAGIC = (
    (b"%PDF-", ("application/pdf", "pdf")),
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"GIF87a", ("image/gif", "gif")),
    (b"GIF89a", ("image/gif", "gif")),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Word, Excel and PowerPoint files
_OLE2_TYPES = {"doc": "application/msword", "xls": "application/vnd.ms-excel",
               "ppt": "application/vnd.ms-powerpoint"}
_OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "pptx"),
}
_ODF = {"application/vnd.oasis.opendocument.text": "odt",
        "application/vnd.oasis.opendocument.spreadsheet": "ods",
        "application/vnd.oasis.opendocument.presentation": "odp"}


def _zipped(data: bytes) -> tuple[str, str] | None:
    """An OOXML or OpenDocument file's type (a ZIP: only its directory is read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                kind = archive.read("mimetype").decode("ascii", "replace").strip()
                return (kind, _ODF[kind]) if kind in _ODF else None
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    if "[Content_Types].xml" not in names or any(n.endswith("vbaProject.bin") for n in names):
        return None  # not Office, or a document carrying macros
    for prefix, found in _OOXML.items():
        if any(n.startswith(prefix) for n in names):
            return found
    return None


def sniff(data: bytes, filename: str) -> tuple[str, str] | None:
    """(content type, extension) of an accepted file, read from its bytes; None otherwise.

    The old binary Office formats look alike: their name's extension tells them apart.
    """
    for magic, found in _MAGIC:
        if data.startswith(magic):
            return found
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data.startswith(_OLE2):
        extension = filename.rpartition(".")[2].lower()
        return (_OLE2_TYPES[extension], extension) if extension in _OLE2_TYPES else None
    if data.startswith(b"PK\x03\x04"):
        return _zipped(data)
    return None


def clean_filename(filename: str, extension: str) -> str:
    """A name to show and to send: no path, no control or quoting character, the extension
    of what the file is (whatever the upload said), at most FILENAME_MAX characters."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", filename or "")[-1])
    # Controls, and format characters (a right-to-left override makes "fdp.exe" of "exe.pdf").
    name = "".join(" " if unicodedata.category(c) == "Cf" else c for c in CONTROLS.sub(" ", name))
    name = re.sub(r'["*:<>?|;]', "", name)
    name = " ".join(name.split()).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:FILENAME_MAX - len(extension) - 1].strip(" .") or "piece-jointe"
    return f"{stem}.{extension}"


def folder() -> Path:
    """Where this installation keeps attached files (created on first use)."""
    return Path(current_app.instance_path) / FOLDER


def _path(stored_name: str) -> Path:
    if not _STORED.match(stored_name or ""):
        raise ValueError("nom de fichier joint invalide")
    return folder() / stored_name


def store(data: bytes) -> str:
    """Keep `data` under a new random name (written whole or not at all); the name."""
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(16)}.bin"
    partial = target / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, target / name)
    return name


def remove(stored_name: str) -> None:
    """Delete a stored file (gone already: nothing to do)."""
    _path(stored_name).unlink(missing_ok=True)


def reference(filename: str, content_type: str, stored_name: str) -> dict:
    """What a shared context holds for one stored file (services.ATTACHMENTS)."""
    return {"filename": filename, "content_type": content_type, "stored": stored_name}


def _encoded(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def loaded(shared: dict) -> dict:
    """`shared` with each stored file's reference replaced by its bytes, base64-encoded once
    (mime.build sends them as they are). A missing file raises: the message fails."""
    from coopcrm.sending.services import ATTACHMENTS

    items = shared.get(ATTACHMENTS)
    if not items or not any("stored" in item for item in items):
        return shared
    out = []
    for item in items:
        if "stored" in item:
            path = _path(item["stored"])
            if not path.is_file():
                raise FileNotFoundError(f"pièce jointe introuvable : {item['filename']}")
            item = {"filename": item["filename"], "content_type": item["content_type"],
                    "encoded": _encoded(path.read_bytes())}
        out.append(item)
    return {**shared, ATTACHMENTS: out}
