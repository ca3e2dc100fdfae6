"""Reading an uploaded file safely: size, ratio and shape limits checked before parsing and while streaming.

An XLSX is a ZIP archive of XML parts that openpyxl inflates, some of them whole (the shared strings): a 1 MB
upload can unpack to gigabytes. Before any parser sees an archive, every member's declared size and ratio are
checked and then its actual inflated size is counted, streaming, with a stop at the limit (a forged header that
understates the size cannot get past the count; zipfile also stops at the declared size and fails the CRC).
While rows stream out, rows, columns and cell lengths are capped per source (an adapter's `[limits]` table).
"""

import re
import zipfile
from dataclasses import dataclass, fields, replace

_CHUNK = 1 << 16
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
_SHEET_HEAD_BYTES = 1 << 14
_SMALL_PART_BYTES = 1 << 20  # the <dimension> element comes right after the sheet's properties


class UnsafeFile(ValueError):
    """The file breaks a safety limit (an archive bomb, too many rows or columns, a giant cell)."""


@dataclass(frozen=True)
class Limits:
    """What one source's files may hold; the defaults fit every official list with a wide margin."""

    max_member_bytes: int = 64 * 1024 * 1024  # one inflated archive member (a sheet, the shared strings)
    max_total_bytes: int = 256 * 1024 * 1024  # all inflated members together
    max_ratio: int = 100  # inflated / compressed, for members above RATIO_FLOOR_BYTES
    max_members: int = 1000
    max_rows: int = 200_000
    max_columns: int = 200
    max_cells: int = 5_000_000  # rows x columns
    max_cell_chars: int = 10_000

    @classmethod
    def from_spec(cls, spec):
        """Build Limits from a mapping's `[limits]` table (unknown keys are a mapping error)."""
        spec = dict(spec or {})
        unknown = set(spec) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown limits: {', '.join(sorted(unknown))}")
        return replace(cls(), **{k: int(v) for k, v in spec.items()})


RATIO_FLOOR_BYTES = 1024 * 1024  # small parts (styles, themes) compress very well and are harmless
DEFAULT_LIMITS = Limits()


def check_archive(path, limits=DEFAULT_LIMITS):
    """Raise UnsafeFile unless every member of the ZIP at PATH is within LIMITS, declared and actually inflated."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise UnsafeFile(f"the archive has {len(members)} parts (at most {limits.max_members})")
        _check_declared(members, limits)
        total = 0
        for info in members:
            total += _inflated_size(archive, info, limits, limits.max_total_bytes - total)


def _check_declared(members, limits):
    total = 0
    for info in members:
        _check_member(info.filename, info.file_size, info.compress_size, limits)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeFile(f"the archive unpacks to more than {_mb(limits.max_total_bytes)}")


def _check_member(name, size, compressed, limits):
    if size > RATIO_FLOOR_BYTES and size > limits.max_ratio * max(compressed, 1):
        raise UnsafeFile(f"part {name} is compressed {size // max(compressed, 1)} to 1 (at most "
                         f"{limits.max_ratio} to 1): a decompression bomb")
    if size > limits.max_member_bytes:
        raise UnsafeFile(f"part {name} unpacks to {_mb(size)} (at most {_mb(limits.max_member_bytes)})")


def _inflated_size(archive, info, limits, total_left):
    """Inflate member INFO in chunks, counting; stop as soon as a limit is passed; return its actual size."""
    cap, size = min(limits.max_member_bytes, total_left), 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise UnsafeFile(f"part {info.filename} unpacks to more than {_mb(cap)}")
            if size > RATIO_FLOOR_BYTES:
                _check_member(info.filename, size, info.compress_size, limits)
    return size


def _mb(n):
    return f"{n / (1024 * 1024):.0f} MB"


def first_sheet_dimension(path):
    """Return (rows, columns) the first sheet of the XLSX at PATH declares, or None; reads a few KB only."""
    with zipfile.ZipFile(path) as archive:
        part = _first_sheet_part(archive)
        if part is None:
            return None
        with archive.open(part) as stream:
            head = stream.read(_SHEET_HEAD_BYTES)
    found = _DIMENSION.search(head)
    if not found:
        return None
    first_col, first_row, last_col, last_row = found.groups()
    if last_row is None:  # a single cell, e.g. "A1"
        last_col, last_row = first_col, first_row
    if not (first_row and last_row):
        return None
    rows = int(last_row) - int(first_row) + 1
    return rows, _column_number(last_col or "A") - _column_number(first_col or "A") + 1


def _first_sheet_part(archive):
    """Return the archive path of the workbook's first sheet (bounded reads of the small workbook parts)."""
    names = set(archive.namelist())
    try:
        with archive.open("xl/workbook.xml") as wb, archive.open("xl/_rels/workbook.xml.rels") as rels:
            workbook, relations = wb.read(_SMALL_PART_BYTES), rels.read(_SMALL_PART_BYTES)
    except KeyError:
        return None
    sheet = re.search(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"', workbook)
    if sheet:
        for rel in re.finditer(rb"<Relationship\b[^>]*>", relations):
            if re.search(rb'Id="' + re.escape(sheet.group(1)) + rb'"', rel.group(0)):
                target = re.search(rb'Target="([^"]+)"', rel.group(0)).group(1).decode()
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                return part if part in names else None
    return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None


def _column_number(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - ord("A") + 1
    return n


def check_shape(rows, columns, limits=DEFAULT_LIMITS):
    """Raise UnsafeFile when a table of ROWS x COLUMNS passes LIMITS."""
    if rows > limits.max_rows:
        raise UnsafeFile(f"the table has {rows} rows (at most {limits.max_rows})")
    if columns > limits.max_columns:
        raise UnsafeFile(f"the table has {columns} columns (at most {limits.max_columns})")
    if rows * columns > limits.max_cells:
        raise UnsafeFile(f"the table has {rows * columns} cells (at most {limits.max_cells})")


def guarded_rows(rows, limits=DEFAULT_LIMITS):
    """Yield ROWS (lists of cells) unchanged, raising UnsafeFile as soon as one passes LIMITS."""
    cells = 0
    for count, row in enumerate(rows, start=1):
        if count > limits.max_rows:
            raise UnsafeFile(f"the table has more than {limits.max_rows} rows")
        if len(row) > limits.max_columns:
            row = _trim_empty_tail(row)
            if len(row) > limits.max_columns:
                raise UnsafeFile(f"row {count} has {len(row)} columns (at most {limits.max_columns})")
        cells += len(row)
        if cells > limits.max_cells:
            raise UnsafeFile(f"the table has more than {limits.max_cells} cells")
        for value in row:
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                raise UnsafeFile(f"row {count} has a cell of {len(value)} characters "
                                 f"(at most {limits.max_cell_chars})")
        yield row


def _trim_empty_tail(row):
    end = len(row)
    while end and row[end - 1] in (None, ""):
        end -= 1
    return row[:end]
