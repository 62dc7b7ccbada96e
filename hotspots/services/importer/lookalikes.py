"""What a file of another kind looks like, so that a refusal says what the file is ("this is
an SSDA903 return", "this is the SEND Annex A") rather than only what it is not.

Councils hold several returns of similar shape: the children in need census beside SEN2 (EHC
plans) and the SSDA903 (children looked after), the children's social care Annex A beside the
area SEND inspection's. Each function looks at what the importer has already read (the first
bytes, a CSV header, the census's ``Collection``, a workbook's headers) and returns the words
for what the file looks like, or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hotspots.base.config import header_key

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or an encrypted .xlsx
UTF8_BOM = b"\xef\xbb\xbf"

# SSDA903 (the children looked after return) is a set of CSV files with upper-case columns.
SSDA903_FILES = (
    ({"CHILD", "DECOM", "RNE", "LS"}, "episodes"),
    ({"CHILD", "SEX", "DOB", "ETHNIC"}, "header"),
    ({"CHILD", "DUC", "REVIEW"}, "reviews"),
    ({"CHILD", "MISSING", "MIS_START"}, "missing"),
)
# The census's Header/CollectionDetails/Collection names the return.
COLLECTIONS = {
    "SEN2": "a SEN2 return (education, health and care plans)",
    "SSDA903": "an SSDA903 return (children looked after)",
    "CSWW": "a children's social work workforce census",
    "SCHOOL CENSUS": "a school census",
}
# Words in the area SEND inspection's Annex A headers that the children's social care one
# never has.
SEND_HEADER_WORDS = ("ehcplan", "ehcneedsassessment", "educationhealthandcare", "sensupport")


def sniff(path: Path) -> str:
    """``zip``, ``ole``, ``xml``, ``text`` or ``binary``, from the file's first bytes."""
    with open(path, "rb") as f:
        start = f.read(4096)
    if start.startswith(ZIP_MAGIC):
        return "zip"
    if start.startswith(OLE_MAGIC):
        return "ole"
    try:
        text = start.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(start) - 4:  # a character cut off at the end is no reason
            return "binary"
        text = start[: e.start].decode("utf-8", "replace")
    if "\0" in text:
        return "binary"
    return "xml" if text.lstrip().startswith("<") else "text"


def first_line(path: Path) -> list[str]:
    """The first line of a text file split on commas, each field trimmed (a CSV's header)."""
    with open(path, "rb") as f:
        line = f.readline(65536).removeprefix(UTF8_BOM).decode("utf-8", "replace")
    return [field.strip().strip('"') for field in line.split(",")]


def csv_file(header: Iterable[str]) -> str | None:
    """What a CSV file whose header is ``header`` is, when it is a known return."""
    names = {h.strip().upper() for h in header}
    for wanted, part in SSDA903_FILES:
        if wanted <= names:
            return f"an SSDA903 return (children looked after: its {part} file)"
    return None


def collection(name: str) -> str | None:
    """What a DfE return whose Collection is ``name`` is, when it is not the CIN census."""
    key = " ".join(name.split()).upper()
    if key.startswith("CIN"):
        return None
    return COLLECTIONS.get(key, f"a DfE return of the {name.strip()!r} collection")


def send_annex_a(headers: Iterable[object]) -> bool:
    """Whether a workbook's headers are the area SEND inspection's Annex A."""
    return any(word in header_key(h) for h in headers for word in SEND_HEADER_WORDS)


def not_a_workbook(path: Path) -> str:
    """Why a file given as an Annex A workbook is not one, in words (it is neither a zip nor
    an OLE file)."""
    kind = sniff(path)
    if kind == "text" and (other := csv_file(first_line(path))):
        return f"this is {other}, not an Annex A workbook"
    if kind == "xml":
        return (
            "this is an XML file, not an Excel workbook: a children in need census is "
            "imported as cin-census"
        )
    looks = "a CSV or text file" if kind == "text" else "some other kind of file"
    return (
        f"this is not an Excel workbook (.xlsx, .xlsm or .xls): it looks like {looks}. Open "
        "it in Excel and save it as an Excel Workbook (.xlsx)"
    )


def not_a_census(path: Path) -> str | None:
    """Why a file given as a CIN census is clearly something else, or None (then the XML
    parser says what is wrong with it)."""
    kind = sniff(path)
    if kind in ("zip", "ole"):
        return (
            "this is an Excel workbook, not a CIN census (XML): the Annex A workbook is "
            "imported as annex-a"
        )
    if kind == "text" and (other := csv_file(first_line(path))):
        return f"this is {other}, not a CIN census"
    return None
