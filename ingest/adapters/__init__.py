"""Source adapters: one small TOML mapping file per published format (see docs/data-sources.md).

A mapping names the source's columns for each canonical field, its fee columns (kind and care levels), the
price unit (yuan per day or per month), the grade scale, the coordinate system and the region it covers.
Reading is streaming: CSV (UTF-8, or GBK/GB18030 detected) through csv.reader, XLSX through openpyxl's
read-only mode; rows come out one at a time as {canonical field: raw text} dicts. Every file is read within
the source's safety limits (ingest/safety.py; a mapping may set its own in a `[limits]` table): an XLSX
archive is checked member by member before openpyxl opens it, rows, columns and cells while they stream.
"""

import codecs
import csv
import functools
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import ijson

from ingest.safety import DEFAULT_LIMITS, Limits, UnsafeFile, check_archive, check_shape, guarded_rows

HERE = Path(__file__).resolve().parent
CANONICAL = ("name", "licence_no", "district_code", "city_name", "district_name", "address", "phone",
             "beds_total", "grade", "ownership", "lat", "lon", "province_name", "credit_code")
YRD = "yrd"  # the scope of a directory: the four provinces
REQUIRED = ("name", "address")
PRICE_UNITS = ("day", "month")
GRADE_SCALES = ("ji", "stars", "letters", "number")
COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")
_SNIFF_BYTES = 256 * 1024


class FormatError(Exception):
    """The file as a whole cannot be read with this adapter (encoding, missing columns, not a table)."""


class UnsafeFileError(FormatError):
    """The file breaks a safety limit (ingest/safety.py): refused at once, never retried."""


@dataclass(frozen=True)
class FeeColumn:
    column: str
    kind: str
    levels: tuple


@dataclass(frozen=True)
class Adapter:
    """One source format: how its columns map to canonical fields, and its units."""

    code: str
    label: str
    scope: str
    price_unit: str
    grade_scale: str
    columns: dict
    fees: tuple
    city: str | None = None
    coord_system: str | None = None
    directory: bool = False  # lenient: only the name is a required column, places come from the text
    extra: dict = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS

    def header_map(self, headers):
        """Return {column index: canonical field or ('fee', FeeColumn)}; raise FormatError on missing columns."""
        wanted = {_norm_header(alias): name for name, aliases in self.columns.items() for alias in aliases}
        fee_by_header = {_norm_header(f.column): f for f in self.fees}
        mapping = {}
        for i, header in enumerate(headers):
            key = _norm_header(header)
            if key in wanted:
                mapping[i] = wanted[key]
            elif key in fee_by_header:
                mapping[i] = ("fee", fee_by_header[key])
            elif self.directory and key:
                mapping[i] = ("extra", str(header).strip())  # kept with the raw row, never fatal
        found = {v for v in mapping.values() if isinstance(v, str)}
        missing = [self.columns[name][0] for name in self.required_fields() if name not in found]
        if not self.directory and not any(isinstance(v, tuple) for v in mapping.values()):
            missing.append(self.fees[0].column if self.fees else "fees")
        if missing:
            raise FormatError("missing columns: " + ", ".join(missing))
        return mapping

    def required_fields(self):
        """Return the canonical fields a file of this format must have as columns."""
        if self.directory:
            return ("name",)
        place = ("district_code",) if "district_code" in self.columns else ("district_name",)
        coords = ("lat", "lon") if self.coord_system else ()
        return REQUIRED + place + coords

    def rows(self, path):
        """Yield (row number, {field: text, 'fees': {FeeColumn: text}}) for every data row of the file at PATH."""
        raw_rows = iter_table(path, self.limits)
        try:
            headers = next(raw_rows)
        except StopIteration:
            raise FormatError("the file is empty") from None
        mapping = self.header_map(headers)
        for number, cells in enumerate(raw_rows, start=2):  # row 1 is the header, as a spreadsheet counts
            if not any(_text(c) for c in cells):
                continue
            yield number, self._record(mapping, cells)

    def _record(self, mapping, cells):
        record = {"fees": {}}
        for i, target in mapping.items():
            value = _text(cells[i]) if i < len(cells) else ""
            if isinstance(target, tuple) and target[0] == "extra":
                if value:
                    record.setdefault("extra", {})[target[1]] = value
            elif isinstance(target, tuple):
                record["fees"][target[1].column] = value
            else:
                record[target] = value
        return record

    def fee_columns(self):
        """Return {column header: FeeColumn}."""
        return {f.column: f for f in self.fees}


def _norm_header(text):
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def detect_encoding(path):
    """Return 'utf-8-sig' when the file's head decodes as UTF-8, else 'gb18030' (a superset of GBK)."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a cut multibyte tail is fine
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def iter_table(path, limits=DEFAULT_LIMITS):
    """Yield the rows of a CSV or XLSX file as lists of cell values, header first, one at a time, within LIMITS."""
    path = Path(path)
    suffix = path.suffix.lower()
    rows = (_iter_xlsx(path, limits) if suffix in (".xlsx", ".xlsm")
            else _iter_json(path, limits) if suffix == ".json" else _iter_csv(path))
    try:
        yield from guarded_rows(rows, limits)
    except UnsafeFile as exc:
        raise UnsafeFileError(str(exc)) from exc


def _iter_csv(path):
    encoding = detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            yield from csv.reader(fh)
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is neither UTF-8 nor GBK/GB18030 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise FormatError(f"not a CSV table: {exc}") from exc


def _iter_xlsx(path, limits):
    from zipfile import BadZipFile

    import openpyxl

    try:
        check_archive(path, limits)  # before openpyxl inflates anything (it reads the shared strings whole)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except UnsafeFile as exc:
        raise UnsafeFileError(str(exc)) from exc
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FormatError(f"not an XLSX workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        if sheet.max_row and sheet.max_column:  # the declared dimension; the rows are counted again as they come
            _check_shape(sheet.max_row, sheet.max_column, limits)
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def _check_shape(rows, columns, limits):
    try:
        check_shape(rows, columns, limits)
    except UnsafeFile as exc:
        raise UnsafeFileError(str(exc)) from exc


def _iter_json(path, limits=DEFAULT_LIMITS):
    """A JSON list of objects, streamed (ijson): the header is every key in order of first appearance (a
    directory's shape), found in a first pass; the objects come one at a time in a second."""
    headers = list(_json_keys(path, limits))
    yield headers
    for item in _json_stream(path, lambda fh: ijson.items(fh, "item", use_float=True)):
        yield [item.get(h) for h in headers]


def _json_keys(path, limits):
    """Return the top-level keys of the objects of a JSON list, in order of first appearance (streaming)."""
    keys, depth = {}, 0
    for prefix, event, value in _json_stream(path, ijson.parse):
        if depth == 0 and event != "start_array":
            raise FormatError("not a JSON list of objects")
        depth += event in ("start_array", "start_map")
        depth -= event in ("end_array", "end_map")
        if prefix == "item" and event not in ("start_map", "map_key", "end_map"):
            raise FormatError("not a JSON list of objects")
        if prefix == "item" and event == "map_key" and value not in keys:
            keys[value] = None
            if len(keys) > limits.max_columns:  # a header that never ends: refused before it fills memory
                raise UnsafeFileError(f"the list has more than {limits.max_columns} different keys")
    return keys


def _json_stream(path, read):
    try:
        with open(path, encoding=detect_encoding(path)) as text:
            yield from read(_Utf8Reader(text))
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise FormatError(f"not a JSON list of objects: {exc}") from exc


class _Utf8Reader:
    """Bytes for ijson from a text file in any encoding (UTF-8 with or without BOM, GBK, GB18030)."""

    def __init__(self, text):
        self._text = text

    def read(self, size=-1):
        """Return up to SIZE characters of the file, encoded as UTF-8."""
        return self._text.read(size).encode("utf-8")


def count_rows(path):
    """Return the number of data rows (a streaming pass; XLSX: the sheet's stated dimension, nothing inflated)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from ingest.safety import first_sheet_dimension

        try:
            dimension = first_sheet_dimension(path)
        except Exception:  # noqa: BLE001  (a broken workbook fails properly, with its reason, when it is read)
            return 0
        return max(dimension[0] - 1, 0) if dimension else 0
    try:
        if path.suffix.lower() == ".json":  # the objects only: the keys' pass is not needed to count them
            return sum(1 for _ in _json_stream(path, lambda fh: ijson.items(fh, "item", use_float=True)))
        return max(sum(1 for _ in _iter_csv(path)) - 1, 0)
    except FormatError:
        return 0


def _load(path):
    return adapter_from_spec(tomllib.loads(path.read_text(encoding="utf-8")), path.name)


def adapter_from_spec(spec, where="mapping"):
    """Return the Adapter a mapping SPEC describes (a TOML file's table, or a mapping stored in the database)."""
    spec = dict(spec)
    fees = tuple(FeeColumn(f["column"], f["kind"], tuple(f["levels"])) for f in spec.pop("fees", []))
    columns = {name: tuple(aliases) for name, aliases in spec.pop("columns").items()}
    unknown = set(columns) - set(CANONICAL)
    if unknown or spec["price_unit"] not in PRICE_UNITS or spec["grade_scale"] not in GRADE_SCALES \
            or spec.get("coord_system") not in (None, *COORD_SYSTEMS):
        raise ValueError(f"adapter {where}: unknown columns, price unit, grade scale or coordinate system")
    known = {k: spec.pop(k) for k in ("code", "label", "scope", "price_unit", "grade_scale", "city", "coord_system",
                                      "directory") if k in spec}
    limits = Limits.from_spec(spec.pop("limits", None))
    return Adapter(columns=columns, fees=fees, extra=spec, limits=limits, **known)


@functools.cache
def adapters():
    """Return {code: Adapter} for every mapping file in this folder."""
    found = (_load(p) for p in sorted(HERE.glob("*.toml")))
    return {a.code: a for a in found}


def get_adapter(code):
    """Return the adapter for source CODE: a shipped TOML file, else a mapping saved in the database; or None."""
    found = adapters().get(code)
    if found is None and code:
        from ingest.mappings import stored_adapter  # the database side; the files need no app

        found = stored_adapter(code)
    return found


def headers_of(path):
    """Return the header row of the file at PATH (raises FormatError when it cannot be read)."""
    try:
        return [_text(h) for h in next(iter_table(path))]
    except StopIteration:
        raise FormatError("the file is empty") from None


def sample_rows(path, adapter, limit=5):
    """Return the first LIMIT (row number, raw record) pairs of the file read through ADAPTER."""
    rows = []
    for pair in adapter.rows(path):
        rows.append(pair)
        if len(rows) >= limit:
            break
    return rows
