"""Reading roster exports: encodings, delimiters, headers, dates and bad rows."""

from datetime import date

import pytest
from django.utils import translation

from classvault.consent.roster import parse_date, parse_roster
from classvault.core.exceptions import Invalid

TODAY = date(2026, 11, 2)
MAGISTER = (
    "leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;klas\n"
    "1001;Ada;;Aap;10-03-2014;5A\n"
    "1010;Jaïr;van der;Meer;2013-05-20;5A\n"
)


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in the English source; the site's default language is Dutch.
    with translation.override("en"):
        yield


def parse(text: str, encoding: str = "utf-8"):
    return parse_roster(text.encode(encoding), today=TODAY)


def test_reads_a_magister_export_with_semicolons():
    roster = parse(MAGISTER)
    assert roster.delimiter == ";" and roster.encoding == "utf-8" and roster.errors == []
    ada, jair = roster.rows
    assert (ada.line, ada.external_id, ada.full_name, ada.date_of_birth, ada.group) == (
        2,
        "1001",
        "Ada Aap",
        date(2014, 3, 10),
        "5A",
    )
    assert jair.full_name == "Jaïr van der Meer" and jair.date_of_birth == date(2013, 5, 20)


def test_reads_commas_and_english_headers():
    roster = parse(
        "Student number,First name,Last name,Date of birth,Group\n1001,Ada,Aap,2014-03-10,5A\n"
    )
    assert roster.delimiter == "," and roster.rows[0].full_name == "Ada Aap"


def test_reads_a_full_name_column_and_quoted_commas():
    roster = parse('leerlingnummer,naam,geboortedatum,klas\n1001,"Aap, Ada",10-03-2014,5A\n')
    assert roster.rows[0].full_name == "Aap, Ada"


def test_reads_utf8_with_byte_order_mark():
    roster = parse_roster(b"\xef\xbb\xbf" + MAGISTER.encode(), today=TODAY)
    assert roster.encoding == "utf-8-sig" and len(roster.rows) == 2
    assert roster.rows[0].external_id == "1001"


def test_reads_windows_1252():
    roster = parse(MAGISTER, "cp1252")
    assert roster.encoding == "windows-1252"
    assert roster.rows[1].full_name == "Jaïr van der Meer"


def test_reads_windows_line_endings_and_a_tab_export():
    roster = parse(MAGISTER.replace(";", "\t").replace("\n", "\r\n"))
    assert roster.delimiter == "\t" and len(roster.rows) == 2 and roster.errors == []


def test_magister_short_headers():
    roster = parse(
        "Stamnr;Roepnaam;Tussenv;Achternaam;Geb.dat.;Stamgroep\n77;Bo;de;Vries;1-2-2014;7B\n"
    )
    assert roster.rows[0].full_name == "Bo de Vries"
    assert roster.rows[0].date_of_birth == date(2014, 2, 1)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("10-03-2014", date(2014, 3, 10)),
        ("1-3-2014", date(2014, 3, 1)),
        ("10/03/2014", date(2014, 3, 10)),
        ("10.03.2014", date(2014, 3, 10)),
        ("2014-03-10", date(2014, 3, 10)),
        (" 2014-3-1 ", date(2014, 3, 1)),
        ("29-02-2012", date(2012, 2, 29)),
        ("29-02-2013", None),
        ("2014/03/10", None),
        ("03-10-14", None),
        ("", None),
        ("morgen", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_bad_rows_are_reported_with_their_line_numbers():
    roster = parse(
        "leerlingnummer;roepnaam;achternaam;geboortedatum;klas\n"
        "1001;Ada;Aap;10-03-2014;5A\n"
        "\n"
        "1002;Bram;Beer;31-02-2013;5A\n"  # line 4: no such date
        ";Cas;Cavia;01-09-2012;6B\n"  # line 5: no number
        "1004;Dewi;Das;15-06-2027;6B\n"  # line 6: future
        "1001;Ada;Again;10-03-2014;5A\n"  # line 7: duplicate
        "1006;Eef;Eend;01-01-2014;5A;extra\n"  # line 8: extra field
        "1007;;;01-01-2014;\n"
    )  # line 9: no name, no group
    assert [r.external_id for r in roster.rows] == ["1001"]
    errors = {e.line: e.detail for e in roster.errors}
    assert sorted(errors) == [4, 5, 6, 7, 8, 9]
    assert "31-02-2013" in errors[4]
    assert "pupil number" in errors[5]
    assert "future" in errors[6]
    assert "line 2" in errors[7]
    assert "6 fields" in errors[8]
    assert "name" in errors[9] and "group" in errors[9]


def test_a_trailing_delimiter_is_harmless():
    roster = parse("leerlingnummer;naam;geboortedatum;klas;\n1001;Ada Aap;10-03-2014;5A;\n")
    assert roster.errors == [] and len(roster.rows) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"foo;bar;baz\n1;2;3\n",  # no known columns
        b"leerlingnummer;roepnaam;klas\n1;Ada;5A\n",  # no date of birth
        b"leerlingnummer;roepnaam;geboortedatum;klas\n1;Ada;2014-01-01;5A\n",  # no last name
        b"PK\x03\x04 an xlsx file",
        b"\xef\xbb\xbfleerlingnummer;naam\xff",  # BOM but not UTF-8
        b"x" * (5 * 1024 * 1024 + 1),
    ],
)
def test_unreadable_files_are_refused_whole(data):
    with pytest.raises(Invalid):
        parse_roster(data, today=TODAY)
