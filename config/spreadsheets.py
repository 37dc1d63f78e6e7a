"""Writing spreadsheets (CSV and XLSX) for every export: the register, the Statement of Applicability, the audit
package's indexes. One place decides what a cell may hold, so no export can be opened as a formula or fail on a
character another export takes.

- A text cell a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return, possibly
  after quotes) gets one more leading `'`; `restore()` removes exactly that quote, so export -> import -> export
  gives the same bytes.
- XML cannot hold most control characters (\\x00-\\x08, \\x0b, \\x0c, \\x0e-\\x1f): XLSX cells drop them, CSV keeps
  them. Without this, openpyxl raises IllegalCharacterError on a justification pasted with a vertical tab.
- CSV is UTF-8, comma-separated, quoted only where needed, with CRLF line ends (RFC 4180).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Keep spreadsheets from running a text cell as a formula (CSV/formula injection); other values pass."""
    if isinstance(value, str) and value.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def restore(value: str) -> str:
    """The exact inverse of neutralise(): one quote comes off, and only where neutralise() added one."""
    return value[1:] if value.startswith("'") and value.lstrip("'")[:1] in FORMULA_TRIGGERS else value


def xml_safe(value: Any) -> Any:
    """Text without the control characters an XLSX (XML) cell cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def write_csv(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Open a file for this with newline="" and encoding="utf-8": the writer chooses the line ends."""
    writer = csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])


def write_xlsx(
    out: str | Path | BinaryIO,
    *,
    sheet: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[int] = (),
) -> None:
    """One sheet: a bold, frozen header row, then the rows; text cells neutralised and XML-safe, never formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    worksheet.append([_cell(worksheet, title, font=bold) for title in header])
    for row in rows:
        worksheet.append([_cell(worksheet, value) for value in row])
    workbook.save(out)


def _cell(worksheet, value: Any, font=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(worksheet, value=neutralise(xml_safe(value)))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever openpyxl would infer from the text
    if font is not None:
        cell.font = font
    return cell
