"""Photos: checked by content, re-encoded to JPEG without EXIF, random names, served safely."""

import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from core.extensions import db
from marketplace import photos
from marketplace.portal_models import HomePhoto
from tests.factories import login_as
from tests.marketplace.test_portal import (  # noqa: F401
    _photo_dir,
    build_world,
    csrf_from,
    jpeg_with_exif,
    png_bytes,
    snapshot,
)


@pytest.fixture
def world(app):  # noqa: F811
    return build_world()


@pytest.fixture
def upload(client, world):
    """Post a file as the provider of home A; return the response."""
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/photos")

    def post(data, name="photo.jpg", caption="", home=None):
        return client.post(f"/portal/homes/{(home or world.home_a).id}/photos",
                           data={"csrf_token": token, "caption": caption, "photo": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    return post


def _only_photo():
    return db.session.scalar(sa.select(HomePhoto))


def test_a_png_named_jpg_is_accepted_because_content_decides(upload, app):
    response = upload(png_bytes(), name="holiday.jpg", caption="花园")
    assert response.status_code == 302
    photo = _only_photo()
    stored = os.path.join(app.config["PHOTO_DIR"], photo.filename)
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (40, 30)
    assert photo.caption == "花园" and photo.size_bytes == os.path.getsize(stored)
    assert os.stat(stored).st_mode & 0o111 == 0  # never executable


def test_exif_is_gone_after_re_encoding(upload, app):
    original = jpeg_with_exif()
    assert b"SecretCam" in original
    assert upload(original, name="IMG_0001.JPG").status_code == 302
    with open(os.path.join(app.config["PHOTO_DIR"], _only_photo().filename), "rb") as f:
        stored = f.read()
    assert b"SecretCam" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


def test_stored_names_are_random_and_made_by_the_server(upload):
    for _i in range(2):
        assert upload(png_bytes(), name="../../etc/passwd.jpg").status_code == 302
    names = [p.filename for p in db.session.scalars(sa.select(HomePhoto))]
    assert len(set(names)) == 2
    assert all(photos.FILENAME_RE.match(n) and "passwd" not in n for n in names)


def test_webp_with_transparency_is_flattened_to_jpeg(upload, app):
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(out, "WEBP")
    assert upload(out.getvalue(), name="x.webp").status_code == 302
    with Image.open(os.path.join(app.config["PHOTO_DIR"], _only_photo().filename)) as image:
        assert image.mode == "RGB" and image.getpixel((5, 5)) == (255, 255, 255)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize("data,name", [
    (b"just some text, not a picture\n" * 10, "notes.jpg"),
    (HTML, "page.png"),
    (SVG, "logo.svg"),
    (SVG, "logo.jpg"),
    (png_bytes() + HTML, "polyglot.png"),  # a valid PNG with a web page after IEND
    (png_bytes()[:8] + HTML, "broken.png"),  # a PNG signature, then markup
    (b"GIF89a" + HTML, "gifar.gif"),
    (png_bytes()[:60], "truncated.png"),
    (b"", "empty.jpg"),
])
def test_non_images_and_polyglots_are_refused(upload, world, data, name):
    before = snapshot(world.home_a.id)
    response = upload(data, name=name)
    assert response.status_code == 400
    assert 'id="photo-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HomePhoto)) == 0
    assert snapshot(world.home_a.id) == before


def test_a_png_with_markup_in_a_text_chunk_is_refused(upload):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    assert upload(png_bytes(pnginfo=info)).status_code == 400


def test_a_gif_is_refused(upload):
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    assert upload(out.getvalue(), name="anim.jpg").status_code == 400


def test_an_image_too_large_in_pixels_is_refused(upload, monkeypatch):
    monkeypatch.setattr(photos, "MAX_SIDE", 30)
    assert upload(png_bytes(size=(40, 10))).status_code == 400


def _noisy_png(side=200):
    out = io.BytesIO()
    Image.effect_noise((side, side), 100).convert("RGB").save(out, "PNG")
    return out.getvalue()


def test_a_photo_over_the_size_limit_is_a_form_error(upload, monkeypatch):
    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    response = upload(_noisy_png(60))  # ~11 kB: over the photo limit, within the request allowance
    assert response.status_code == 400 and 'id="photo-error"' in response.get_data(as_text=True)
    assert _only_photo() is None


def test_a_request_body_far_over_the_limit_is_stopped_before_it_is_read(upload, monkeypatch):
    from marketplace import portal

    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    monkeypatch.setattr(portal, "UPLOAD_OVERHEAD", 100)
    assert upload(_noisy_png()).status_code == 413
    assert _only_photo() is None


def test_photos_are_served_as_jpeg_with_nosniff_and_shown_on_the_home_page(upload, client, world):
    upload(png_bytes(), caption="活动室")
    photo = _only_photo()
    with client.session_transaction() as session:
        session.pop("_user_id")  # the public sees it too
    response = client.get(f"/portal/photos/{photo.filename}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    page = client.get(f"/homes/{world.home_a.id}").get_data(as_text=True)
    assert f"/portal/photos/{photo.filename}" in page and 'alt="活动室"' in page


@pytest.mark.parametrize("name", ["../app.py", "x.html", "%2e%2e%2fconfig", "A" * 32 + ".jpg"])
def test_only_stored_photo_names_are_served(client, world, name):
    assert client.get(f"/portal/photos/{name}").status_code == 404


def test_the_provider_deletes_a_photo_and_its_file(upload, client, world, app):
    upload(png_bytes())
    photo = _only_photo()
    path = os.path.join(app.config["PHOTO_DIR"], photo.filename)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/photos")
    login_as(client, world.staff_b)
    response = client.post(f"/portal/homes/{world.home_a.id}/photos/{photo.id}/delete",
                           data={"delete-csrf_token": token})
    assert response.status_code == 403 and os.path.exists(path)
    login_as(client, world.staff_a)
    response = client.post(f"/portal/homes/{world.home_a.id}/photos/{photo.id}/delete",
                           data={"delete-csrf_token": token})
    assert response.status_code == 302
    assert not os.path.exists(path) and _only_photo() is None
    assert client.get(f"/portal/photos/{photo.filename}").status_code == 404


def test_another_operator_cannot_upload_to_a_home(client, world):
    login_as(client, world.staff_b)
    token = csrf_from(client, f"/portal/homes/{world.home_b.id}/photos")
    response = client.post(f"/portal/homes/{world.home_a.id}/photos",
                           data={"csrf_token": token, "photo": (io.BytesIO(png_bytes()), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert _only_photo() is None
