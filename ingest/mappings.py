"""Source mappings saved in the database: a regulator maps an unrecognised file's columns without a deploy.

A mapping has the shape of an adapter TOML file (ingest/adapters/), is a lenient directory source of its
author's jurisdiction, and keeps every saved version (SourceMappingVersion). The CLI exports and imports
mappings as TOML, so a mapping made on one platform can be reviewed and shipped to another.
"""

import re
import tomllib

import sqlalchemy as sa
import tomli_w
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from ingest.adapters import (
    COORD_SYSTEMS,
    PRICE_UNITS,
    YRD,
    FormatError,
    adapter_from_spec,
    adapters,
    get_adapter,
    headers_of,
    sample_rows,
)
from ingest.models import SourceMapping, SourceMappingVersion
from ingest.normalise import normalise_row

ALL_LEVELS = ("self_care", "partial", "full", "dementia")
# what a column can be mapped to: a canonical field, or a fee (kind, care levels)
FIELD_TARGETS = {
    "name": _l("Name"), "address": _l("Address"), "province_name": _l("Province"), "city_name": _l("City"),
    "district_name": _l("District"), "district_code": _l("Region code"), "beds_total": _l("Beds"),
    "phone": _l("Phone"), "licence_no": _l("Filing number"), "credit_code": _l("Unified social credit code"),
    "ownership": _l("Ownership"), "grade": _l("Grade"), "lat": _l("Latitude"), "lon": _l("Longitude"),
}
FEE_TARGETS = {
    "fee.bed.all": (_l("Bed fee, every care level"), "bed", ALL_LEVELS),
    "fee.meals.all": (_l("Meals, every care level"), "meals", ALL_LEVELS),
    **{f"fee.care.{level}": (_l("Care fee: %(level)s"), "care", (level,)) for level in ALL_LEVELS},
    **{f"fee.bed.{level}": (_l("All-in monthly fee: %(level)s"), "bed", (level,)) for level in ALL_LEVELS},
}
_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


def target_label(target):
    """Return the label of a mapping target in the current locale."""
    if target in FIELD_TARGETS:
        return str(FIELD_TARGETS[target])
    if target not in FEE_TARGETS:
        return target
    from marketplace.vocab import CARE_LEVEL_LABELS, label

    template, _kind, levels = FEE_TARGETS[target]
    return str(template) % {"level": label(CARE_LEVEL_LABELS, levels[0])} if len(levels) == 1 else str(template)


def stored_adapter(code):
    """Return the Adapter of the mapping saved as CODE, or None."""
    mapping = db.session.scalar(sa.select(SourceMapping).where(SourceMapping.code == code))
    return adapter_of(mapping) if mapping is not None else None


def adapter_of(mapping):
    """Return the Adapter a SourceMapping row describes."""
    return adapter_from_spec({**mapping.spec, "code": mapping.code, "label": mapping.label}, mapping.code)


def spec_from_targets(targets, price_unit="month", coord_system=None):
    """Return a mapping spec from {column header: target}; columns mapped to nothing are kept as extras."""
    columns, fees = {}, []
    for header, target in targets.items():
        if target in FIELD_TARGETS:
            columns.setdefault(target, []).append(header)
        elif target in FEE_TARGETS:
            _label, kind, levels = FEE_TARGETS[target]
            fees.append({"column": header, "kind": kind, "levels": list(levels)})
    spec = {"scope": YRD, "directory": True, "price_unit": price_unit, "grade_scale": "ji", "columns": columns,
            "fees": fees}
    if coord_system:
        spec["coord_system"] = coord_system
    return spec


def detected_targets(headers):
    """Return {header: target} for the headers the generic directory already recognises (a starting point)."""
    directory = adapters()["directory"]
    try:
        mapping = directory.header_map(headers)
    except FormatError:
        mapping = _partial_map(directory, headers)
    found = {}
    for index, target in mapping.items():
        if isinstance(target, str):
            found[headers[index]] = target
        elif target[0] == "fee":
            fee = target[1]
            key = f"fee.{fee.kind}.{'all' if len(fee.levels) > 1 else fee.levels[0]}"
            found[headers[index]] = key if key in FEE_TARGETS else ""
    return found


def _partial_map(adapter, headers):
    wanted = {"".join(str(a).split()).lower(): name for name, aliases in adapter.columns.items() for a in aliases}
    return {i: wanted["".join(str(h).split()).lower()] for i, h in enumerate(headers)
            if "".join(str(h).split()).lower() in wanted}


def check_spec(code, label, spec):
    """Raise ServiceError (with field errors) unless CODE, LABEL and SPEC make a usable mapping."""
    errors = {}
    if not _CODE.match(code or ""):
        errors["code"] = [_("2 to 40 lower-case letters, digits, - or _, starting with a letter.")]
    elif code in adapters():
        errors["code"] = [_("This code belongs to a built-in format.")]
    if not (label or "").strip():
        errors["label"] = [_("Give the source a name.")]
    if "name" not in spec.get("columns", {}):
        errors["columns"] = [_("Map one column to the name of the home.")]
    if spec.get("price_unit") not in PRICE_UNITS or spec.get("coord_system") not in (None, *COORD_SYSTEMS):
        errors["price_unit"] = [_("Choose the price unit and the coordinate system.")]
    if errors:
        raise ServiceError(_("The mapping cannot be saved."), errors, code="invalid_mapping")
    adapter_from_spec({**spec, "code": code, "label": label})


def save_mapping(code, label, spec, user):
    """Create or update the mapping CODE (a new version each time); return it; commit."""
    check_spec(code, label, spec)
    mapping = db.session.scalar(sa.select(SourceMapping).where(SourceMapping.code == code))
    jurisdiction = user.jurisdiction_code if getattr(user, "role", None) == "regulator" else None
    if mapping is None:
        mapping = SourceMapping(code=code, label=label.strip()[:200], spec=spec, version=1,
                                jurisdiction_code=jurisdiction, created_by_id=getattr(user, "id", None))
        db.session.add(mapping)
        db.session.flush()
    else:
        if not may_edit(user, mapping):
            raise ServiceError(_("Another jurisdiction's source already has this code."),
                               {"code": [_("Choose another code.")]}, status=409, code="mapping_taken")
        mapping.version += 1
        mapping.label, mapping.spec, mapping.updated_at = label.strip()[:200], spec, utcnow()
    db.session.add(SourceMappingVersion(mapping_id=mapping.id, version=mapping.version, spec=spec,
                                        saved_by_id=getattr(user, "id", None)))
    db.session.commit()
    return mapping


def may_edit(user, mapping):
    """Say whether USER may change MAPPING (its jurisdiction's regulators, or an admin)."""
    return getattr(user, "role", None) == "admin" or (
        user is not None and mapping.jurisdiction_code == user.jurisdiction_code)


def mappings_for(user):
    """Return the saved mappings USER may import with (their jurisdiction's; admins: all)."""
    stmt = sa.select(SourceMapping).order_by(SourceMapping.label)
    if getattr(user, "role", None) != "admin":
        stmt = stmt.where(SourceMapping.jurisdiction_code == user.jurisdiction_code)
    return db.session.scalars(stmt).all()


def history(mapping):
    """Return the saved versions of MAPPING, newest first."""
    return db.session.scalars(sa.select(SourceMappingVersion).where(SourceMappingVersion.mapping_id == mapping.id)
                              .order_by(SourceMappingVersion.version.desc())).all()


def preview(path, code, label, spec, jurisdiction=None, limit=5):
    """Return [(row number, raw record, Normalised)] of the first LIMIT rows read with the unsaved SPEC."""
    adapter = adapter_from_spec({**spec, "code": code or "preview", "label": label or "preview"})
    return [(number, raw, normalise_row(adapter, raw, jurisdiction))
            for number, raw in sample_rows(path, adapter, limit)]


def needs_mapping(source, path):
    """Say whether a directory-like SOURCE cannot read the file's headers (its columns must be mapped)."""
    adapter = get_adapter(source)
    if adapter is None or not adapter.directory:
        return False
    try:
        adapter.header_map(headers_of(path))
    except FormatError:
        return True
    return False


def export_toml(code):
    """Return the mapping CODE as TOML text (the shape of ingest/adapters/*.toml)."""
    mapping = db.session.scalar(sa.select(SourceMapping).where(SourceMapping.code == code))
    if mapping is None:
        raise ServiceError(_("No saved source has this code."), status=404, code="unknown_source")
    return tomli_w.dumps({"code": mapping.code, "label": mapping.label, **mapping.spec})


def import_toml(text, user):
    """Save the mapping a TOML text describes (a new version when its code exists); return it; commit."""
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ServiceError(_("Not a TOML mapping."), {"file": [str(exc)]}, code="invalid_mapping") from exc
    code, label = spec.pop("code", ""), spec.pop("label", "")
    spec.setdefault("scope", YRD)
    spec.setdefault("directory", True)
    spec.setdefault("grade_scale", "ji")
    return save_mapping(code, label, spec, user)
