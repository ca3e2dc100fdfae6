"""Photos with a review: the same upload rules as providers' photos (marketplace.photos checks the content,
re-encodes a clean JPEG without EXIF and stores it under PHOTO_DIR with a random name); at most a few.

Photos go through moderation with their review: anyone may see them once the review is published; before
that only the author and the regulators who moderate it (accounts.permissions.sees_review_photos).
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from core.errors import ServiceError
from core.extensions import db
from marketplace import photos as photo_store
from reviews.models import ReviewPhoto

MAX_REVIEW_PHOTOS = 4


def _refuse(message, status=400):
    raise ServiceError(_("Please check the photos."), {"photos": [message]}, status=status, code="invalid_photo")


def clean_photos(uploads):
    """Check every upload (bytes) by its content before anything is stored; return [(jpeg, width, height)]."""
    uploads = list(uploads or ())
    if len(uploads) > MAX_REVIEW_PHOTOS:
        _refuse(_("Add at most %(n)s photos.", n=MAX_REVIEW_PHOTOS))
    cleaned = []
    for number, data in enumerate(uploads, start=1):
        try:
            cleaned.append(photo_store.clean_upload(data))
        except ServiceError as exc:
            _refuse(_("Photo %(n)s: %(problem)s", n=number, problem=exc.message), status=exc.status)
    return cleaned


def store_photos(review, cleaned):
    """Write the CLEANED photos and add their rows to REVIEW; return the file names (the caller commits)."""
    filenames = []
    for jpeg, width, height in cleaned:
        filename = photo_store.store_jpeg(jpeg)
        filenames.append(filename)
        db.session.add(ReviewPhoto(review_id=review.id, filename=filename, width=width, height=height,
                                   size_bytes=len(jpeg)))
    return filenames


def remove_files(filenames):
    """Remove the files of photos whose transaction failed."""
    for filename in filenames:
        photo_store.remove_stored(filename)


def photo_by_filename(filename):
    """Return the ReviewPhoto stored as FILENAME, or None (also for names the server could not have made)."""
    if photo_store.photo_path(filename) is None:
        return None
    return db.session.scalar(sa.select(ReviewPhoto).where(ReviewPhoto.filename == filename))


def send_photo(filename):
    """Return the response serving a review photo's file (image/jpeg, nosniff)."""
    return photo_store.send_stored(filename)
