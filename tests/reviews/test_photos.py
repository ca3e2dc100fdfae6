"""Photos with a review: provider upload rules, stored at once, shown only once a regulator publishes."""

import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from core.extensions import db
from reviews import services
from reviews.models import Review, ReviewPhoto
from tests.factories import login_as
from tests.reviews.conftest import csrf_token, form_data, review_values


@pytest.fixture(autouse=True)
def _photo_dir(app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path / "photos")


def png_bytes(size=(40, 30), color=(30, 160, 90)):
    """Return a small PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif():
    """Return a JPEG whose EXIF names a camera."""
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def post_review(client, world, files, **changes):
    """Post the review form as the family with FILES [(bytes, name)]; return the response."""
    login_as(client, world.family)
    token = csrf_token(client.get(f"/homes/{world.home.id}/reviews/new").get_data(as_text=True))
    data = {"csrf_token": token, **form_data(**changes),
            "photos": [(io.BytesIO(content), name) for content, name in files]}
    return client.post(f"/homes/{world.home.id}/reviews/new", data=data, content_type="multipart/form-data")


def _photos():
    return db.session.scalars(sa.select(ReviewPhoto).order_by(ReviewPhoto.id)).all()


def _stored_files(app):
    folder = app.config["PHOTO_DIR"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_a_valid_photo_is_stored_clean_and_shown_only_after_publishing(app, client, world):
    response = post_review(client, world, [(jpeg_with_exif(), "IMG_0001.JPG"), (png_bytes(), "garden.png")])
    assert response.status_code == 302
    review = db.session.scalars(sa.select(Review)).one()
    photos = _photos()
    assert [p.review_id for p in photos] == [review.id, review.id]
    assert _stored_files(app) == sorted(p.filename for p in photos)
    with open(os.path.join(app.config["PHOTO_DIR"], photos[0].filename), "rb") as f:
        stored = f.read()
    assert b"SecretCam" not in stored and stored[:2] == b"\xff\xd8"  # a fresh JPEG without the EXIF
    url = f"/reviews/photos/{photos[0].filename}"

    # pending: the author sees the photos on the review's own page; the public sees neither photo nor file
    assert url in client.get(f"/reviews/{review.id}").get_data(as_text=True)
    own = client.get(url)
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-store"
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 404
    assert url not in anonymous.get(f"/homes/{world.home.id}/reviews").get_data(as_text=True)

    # the regulator sees them in the queue item and on the moderation page
    login_as(client, world.regulator)
    assert url in client.get("/regulator/reviews/").get_data(as_text=True)
    assert url in client.get(f"/regulator/reviews/{review.id}").get_data(as_text=True)

    services.moderate_review(world.regulator, review, "publish", "meets_guidelines")
    assert url in anonymous.get(f"/homes/{world.home.id}/reviews").get_data(as_text=True)
    served = anonymous.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_photos_of_a_folded_review_are_not_public(app, world):
    review = services.submit_review(world.family, world.home, photos=[png_bytes()], **review_values())
    services.moderate_review(world.regulator, review, "publish", "meets_guidelines")
    services.moderate_review(world.regulator, review, "fold", "personal_data", "照片里有住址")
    assert app.test_client().get(f"/reviews/photos/{_photos()[0].filename}").status_code == 404


@pytest.mark.parametrize("content,name", [
    (b"just some text, not a picture\n" * 10, "notes.jpg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg"),
    (png_bytes() + b"<html><script>alert(1)</script></html>", "polyglot.png"),
])
def test_a_bad_file_is_a_form_error_and_nothing_is_stored(app, client, world, content, name):
    response = post_review(client, world, [(png_bytes(), "ok.png"), (content, name)])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="photos-error"' in page
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0
    assert _photos() == [] and _stored_files(app) == []


def test_more_photos_than_allowed_is_a_form_error(app, client, world):
    response = post_review(client, world, [(png_bytes(), f"p{n}.png") for n in range(5)])
    assert response.status_code == 400
    assert 'id="photos-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0
    assert _photos() == [] and _stored_files(app) == []


def test_a_review_without_photos_still_goes_through(client, world):
    assert post_review(client, world, []).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1 and _photos() == []


def test_an_unknown_or_made_up_photo_name_is_a_404(client):
    assert client.get("/reviews/photos/" + "a" * 32 + ".jpg").status_code == 404
    assert client.get("/reviews/photos/..%2f..%2fetc%2fpasswd").status_code == 404
