"""Reading a roster export (Magister, SOMtoday and the like) into rows. No database.

Schools' administration systems export CSV with Dutch column names, a semicolon or a comma
between fields (Excel on a Dutch Windows writes semicolons), in UTF-8 with or without a
byte order mark or in Windows-1252, and dates as dd-mm-yyyy or yyyy-mm-dd. We accept all of
that, and report every problem with its line number so the school can fix its export.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from classvault.core.exceptions import Invalid
from classvault.core.validation import EARLIEST_DAY, refuse_nul

MAX_BYTES = 5 * 1024 * 1024
DELIMITERS = (";", ",", "\t")

# Normalised header (lower case, letters and digits only) -> our field.
HEADER_ALIASES: dict[str, set[str]] = {
    "external_id": {
        "leerlingnummer",
        "leerlingnr",
        "llnr",
        "stamnummer",
        "stamnr",
        "leerlingid",
        "externalid",
        "studentnumber",
        "studentid",
        "pupilnumber",
        "pupilid",
        "pupilnr",
    },
    "first_name": {"roepnaam", "voornaam", "firstname", "givenname", "callname"},
    "infix": {
        "tussenvoegsel",
        "tussenvoegsels",
        "tussenv",
        "voorvoegsel",
        "voorvoegsels",
        "prefix",
        "nameprefix",
        "infix",
    },
    "last_name": {"achternaam", "familienaam", "lastname", "surname", "familyname"},
    "full_name": {"naam", "volledigenaam", "fullname", "name"},
    "date_of_birth": {
        "geboortedatum",
        "gebdatum",
        "gebdat",
        "dateofbirth",
        "birthdate",
        "dob",
        "birthday",
    },
    "group": {"klas", "groep", "stamgroep", "stamklas", "basisgroep", "class", "group", "homeroom"},
}
_FIELD_OF_HEADER = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

MAX_LENGTHS = {"external_id": 64, "full_name": 200, "group": 32}


@dataclass(frozen=True)
class RosterRow:
    line: int
    external_id: str
    full_name: str
    date_of_birth: date
    group: str


@dataclass(frozen=True)
class RowError:
    line: int
    detail: str


@dataclass
class Roster:
    encoding: str
    delimiter: str
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _normalise_header(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", value.strip().lstrip("\ufeff").lower())


def _decode(data: bytes) -> tuple[str, str]:
    if data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0":
        raise Invalid(_("This is a spreadsheet file, not CSV. Save it as CSV and upload that."))
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise Invalid(
                _("The file says it is UTF-8 but is not. Export it again as UTF-8 CSV.")
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise Invalid(
                _("The file could not be read as UTF-16. Export it again as UTF-8 CSV.")
            ) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Older exports from Windows: Windows-1252 (a superset of Latin-1 for text).
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise Invalid(
            _("The file is neither UTF-8 nor Windows-1252 text. Export it again as UTF-8 CSV.")
        ) from exc


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _pick_delimiter(text: str) -> str:
    """The delimiter under which the header names the most known columns."""
    header = _first_line(text)

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        known = sum(1 for c in cells if _normalise_header(c) in _FIELD_OF_HEADER)
        return known, header.count(delimiter)

    return max(DELIMITERS, key=score)


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _FIELD_OF_HEADER.get(_normalise_header(cell))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [n for n in ("external_id", "date_of_birth", "group") if n not in columns]
    has_name = "full_name" in columns or {"first_name", "last_name"} <= columns.keys()
    if missing or not has_name:
        raise Invalid(
            _(
                "The first line must name the columns leerlingnummer, roepnaam, tussenvoegsel, "
                "achternaam, geboortedatum and klas (or pupil number, first name, last name, "
                "date of birth and group). Found: %(found)s."
            )
            % {"found": ", ".join(c.strip() for c in header if c.strip()) or "-"}
        )
    return columns


def parse_date(value: str) -> date | None:
    """dd-mm-yyyy (also with / or .) or yyyy-mm-dd; None when it is neither or no date."""
    value = value.strip()
    try:
        if m := _DMY.match(value):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _YMD.match(value):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None


def _clean(value: str) -> str:
    return " ".join(value.split())


def _row(cells: list[str], columns: dict[str, int], line: int, today: date) -> RosterRow | RowError:
    def get(name: str) -> str:
        index = columns.get(name)
        return _clean(cells[index]) if index is not None and index < len(cells) else ""

    full_name = get("full_name") or " ".join(
        p for p in (get("first_name"), get("infix"), get("last_name")) if p
    )
    values = {"external_id": get("external_id"), "full_name": full_name, "group": get("group")}
    labels = {"external_id": _("pupil number"), "full_name": _("name"), "group": _("group")}
    problems = []
    for name, value in values.items():
        if not value:
            problems.append(_("%(field)s is empty") % {"field": labels[name]})
        elif len(value) > MAX_LENGTHS[name]:
            problems.append(
                _("%(field)s is longer than %(max)d characters")
                % {"field": labels[name], "max": MAX_LENGTHS[name]}
            )
    raw_date = get("date_of_birth")
    born = parse_date(raw_date)
    if born is None:
        problems.append(
            _("date of birth “%(value)s” is not a date like 31-12-2015 or 2015-12-31")
            % {"value": raw_date}
        )
    elif born > today:
        problems.append(_("date of birth %(value)s lies in the future") % {"value": raw_date})
    elif born < EARLIEST_DAY:
        problems.append(
            _("date of birth %(value)s lies before %(earliest)s")
            % {"value": raw_date, "earliest": EARLIEST_DAY.isoformat()}
        )
    if problems:
        return RowError(line, "; ".join(problems) + ".")
    assert born is not None
    return RosterRow(line, values["external_id"], full_name, born, values["group"])


def parse_roster(data: bytes, *, today: date) -> Roster:
    """Read a roster export; file-level problems raise Invalid, row problems are collected."""
    if len(data) > MAX_BYTES:
        raise Invalid(_("The file is larger than 5 MB. Upload one school's roster at a time."))
    text, encoding = _decode(data)
    refuse_nul(text)  # the input guard does not read uploaded files (core/validation.py)
    if not text.strip():
        raise Invalid(_("The file is empty."))
    delimiter = _pick_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    roster = Roster(encoding=encoding, delimiter=delimiter)
    columns: dict[str, int] = {}
    first_line_of: dict[str, int] = {}
    previous_end = 0
    try:
        for cells in reader:
            line = previous_end + 1  # a quoted field may span lines: report where it starts
            previous_end = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = cells
                columns = _columns(header)
                continue
            extra = [c for c in cells[len(header) :] if c.strip()]
            if extra:
                roster.errors.append(
                    RowError(
                        line,
                        _(
                            "This line has %(found)d fields but the first line names %(expected)d. "
                            "Check for a stray %(delimiter)s in a name."
                        )
                        % {"found": len(cells), "expected": len(header), "delimiter": delimiter},
                    )
                )
                continue
            result = _row(cells, columns, line, today)
            if isinstance(result, RowError):
                roster.errors.append(result)
                continue
            if result.external_id in first_line_of:
                roster.errors.append(
                    RowError(
                        line,
                        _("Pupil number %(number)s also appears on line %(first)d.")
                        % {
                            "number": result.external_id,
                            "first": first_line_of[result.external_id],
                        },
                    )
                )
                continue
            first_line_of[result.external_id] = line
            roster.rows.append(result)
    except csv.Error as exc:
        roster.errors.append(
            RowError(
                previous_end + 1,
                _("This line could not be read as CSV (%(error)s).") % {"error": exc},
            )
        )
    if header is None:
        raise Invalid(_("The file is empty."))
    return roster
