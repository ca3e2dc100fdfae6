"""Photos of homes: check an upload by its content, re-encode it to a clean JPEG, store it under a random name.

What the client says (file name, extension, Content-Type) is ignored: Pillow must recognise the bytes as JPEG,
PNG or WebP and decode them. Files carrying markup (HTML, SVG, script, PHP) anywhere are refused, so a
polyglot cannot pass as an image. What is stored is never the upload: it is a fresh JPEG encoded from the
pixels, without EXIF or other metadata, named by the server, written without execute permission, and served
by a view as image/jpeg with `nosniff`.
"""

import io
import os
import re
import secrets
import warnings

import sqlalchemy as sa
from flask import abort, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps

from core.errors import ServiceError
from core.extensions import db
from marketplace.models import ListingChange
from marketplace.portal_models import HomePhoto

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000  # pixels, either side, of the upload
MAX_PIXELS = 40_000_000  # a decompression bomb guard below Pillow's own
STORED_MAX_SIDE = 2048  # what we keep and serve
MAX_PHOTOS_PER_HOME = 30
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85
FILENAME_RE = re.compile(r"^[A-Za-z0-9_-]{32}\.jpg$")
# markup that makes a file dangerous if a browser ever sniffs it as a document
_MARKUP = re.compile(rb"<\s*(?:html|script|svg|body|iframe|object|embed|!doctype|\?php|\?xml)", re.IGNORECASE)


def _refuse(message, status=400):
    raise ServiceError(message, {"photo": [message]}, status=status, code="invalid_photo")


def _open_checked(data):
    """Return the decoded image in DATA after every content check, or raise ServiceError."""
    if not data:
        _refuse(_("Choose a photo to upload."))
    if len(data) > MAX_BYTES:
        _refuse(_("The photo is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), status=413)
    if _MARKUP.search(data):
        _refuse(_("This file contains web page code, not only a picture. Upload a plain JPEG, PNG or WebP photo."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format, probe.size
                if fmt not in ACCEPTED_FORMATS:
                    _refuse(_("Only JPEG, PNG and WebP photos are accepted."))
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    _refuse(_("The photo may be at most %(max)s pixels wide and high.", max=MAX_SIDE))
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ServiceError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(_("This file is not a JPEG, PNG or WebP photo we can read."))
    return image


def _clean_jpeg(image):
    """Return (bytes, width, height): IMAGE upright, flattened onto white, shrunk, as a metadata-free JPEG."""
    image = ImageOps.exif_transpose(image)  # keep the photo upright before its EXIF is dropped
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    else:
        image = image.convert("RGB")
    image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif=, icc_profile=: nothing carried over
    return out.getvalue(), image.width, image.height


def clean_upload(data):
    """Check DATA by its content; return (jpeg, width, height) of a clean re-encoding, or raise ServiceError."""
    return _clean_jpeg(_open_checked(data))


def store_jpeg(jpeg):
    """Write a clean JPEG under PHOTO_DIR with a new random name; return the name."""
    return _write(jpeg)


def remove_stored(filename):
    """Remove a stored photo's file if it is there (after its row is gone, or its transaction failed)."""
    _unlink(filename)


def send_stored(filename):
    """Return the response serving stored photo FILENAME: always image/jpeg, never sniffed; 404 if missing."""
    path = photo_path(filename)
    if path is None:
        abort(404)
    try:
        response = send_file(path, mimetype="image/jpeg", max_age=7 * 24 * 3600, conditional=True)
    except FileNotFoundError:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def photo_dir():
    """Return the folder photos are stored in (created on first use)."""
    path = current_app.config.get("PHOTO_DIR") or os.path.join(current_app.instance_path, "photos")
    os.makedirs(path, mode=0o750, exist_ok=True)
    return path


def photo_path(filename):
    """Return the file path of a stored photo, or None for a name the server could not have made."""
    return os.path.join(photo_dir(), filename) if FILENAME_RE.match(filename or "") else None


def _write(data):
    filename = secrets.token_urlsafe(24) + ".jpg"  # 32 characters, 192 random bits
    fd = os.open(os.path.join(photo_dir(), filename), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return filename


def home_photos(home_id, published_only=True):
    """Return HOME_ID's photos, oldest first."""
    stmt = sa.select(HomePhoto).where(HomePhoto.home_id == home_id).order_by(HomePhoto.id)
    if published_only:
        stmt = stmt.where(HomePhoto.published.is_(True))
    return db.session.scalars(stmt).all()


def add_photo(home, data, caption, actor):
    """Check DATA by its content, store a clean JPEG of it for HOME, record the change; commit."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(HomePhoto).where(HomePhoto.home_id == home.id))
    if count >= MAX_PHOTOS_PER_HOME:
        _refuse(_("A home can show at most %(n)s photos. Delete one first.", n=MAX_PHOTOS_PER_HOME), status=409)
    jpeg, width, height = clean_upload(data)
    filename = _write(jpeg)
    photo = HomePhoto(home_id=home.id, filename=filename, caption=(caption or "").strip()[:200], width=width,
                      height=height, size_bytes=len(jpeg), uploaded_by_id=getattr(actor.user, "id", None))
    db.session.add(photo)
    _record(home, actor, {"photo.added": [None, filename]})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        _unlink(filename)
        raise
    return photo


def delete_photo(home, photo, actor):
    """Delete PHOTO of HOME and its file; record the change; commit."""
    if photo.home_id != home.id:
        raise ServiceError(_("This photo belongs to another home."), status=404, code="not_found")
    filename = photo.filename
    db.session.delete(photo)
    _record(home, actor, {"photo.deleted": [filename, None]})
    db.session.commit()
    _unlink(filename)  # after the commit: a failed commit must not lose the file


def _record(home, actor, changes):
    db.session.add(ListingChange(home_id=home.id, user_id=getattr(actor.user, "id", None),
                                 api_client_id=actor.api_client_id, channel=actor.channel, changes=changes))


def _unlink(filename):
    path = photo_path(filename)
    if path and os.path.exists(path):
        os.remove(path)
