"""The files' bytes, a batch of rows at a time from a server-side cursor: memory stays flat.

The same functions feed a download (``StreamingResponse``) and a snapshot (written to disk), so
the files of a day are byte for byte what a download of that moment would have been.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

from sqlalchemy.orm import Session

from dashboard.opendata import fields
from dashboard.opendata.queries import Filters, rows

BOM: Final = "\ufeff"  # so that spreadsheets (Excel) read the file as UTF-8
# RFC 7946 allows "foreign members"; the licence travels with the data.
_HEAD: Final = {
    "type": "FeatureCollection",
    "name": "reports",
    "license": fields.LICENCE_ID,
    "license_url": fields.LICENCE_URL,
    "attribution": fields.ATTRIBUTION,
}
GEOJSON_HEAD: Final = json.dumps(_HEAD, ensure_ascii=False)[:-1] + ', "features": [\n'
GEOJSON_TAIL: Final = "\n]}\n"


def batches(db: Session, kind: str, filters: Filters, base: str) -> Iterator[Sequence[Any]]:
    """The rows of ``kind``, a batch at a time; the cursor closes if the client goes away."""
    statement, params = rows(kind, filters, base)
    with db.execute(statement, params) as result:
        yield from result.partitions()


def geojson_text(features: Iterable[Sequence[str]]) -> Iterator[str]:
    """A FeatureCollection around batches of features (JSON texts, first column)."""
    yield GEOJSON_HEAD
    separator = ""
    for batch in features:
        if batch:
            yield separator + ",\n".join(row[0] for row in batch)
            separator = ",\n"
    yield GEOJSON_TAIL


class CsvText:
    """Rows of cells to CSV text, one chunk per batch (a header and a BOM first)."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def head(self) -> str:
        """The BOM and the header row."""
        return BOM + self.chunk([fields.NAMES])

    def chunk(self, cells: Iterable[Sequence[Any]]) -> str:
        """The CSV lines of these rows."""
        self._out.seek(0)
        self._out.truncate()
        self._writer.writerows(cells)
        return self._out.getvalue()


def csv_text(batches_of_cells: Iterable[Sequence[Sequence[Any]]]) -> Iterator[str]:
    """The CSV: the BOM and header, then a chunk per batch."""
    writer = CsvText()
    yield writer.head()
    for batch in batches_of_cells:
        yield writer.chunk(batch)


def encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    """UTF-8 bytes of text chunks."""
    for chunk in chunks:
        yield chunk.encode()


def geojson_download(db: Session, filters: Filters, base: str) -> Iterator[bytes]:
    """The GeoJSON of the public reports that match, streamed."""
    return encoded(geojson_text(batches(db, "geojson", filters, base)))


def csv_download(db: Session, filters: Filters, base: str) -> Iterator[bytes]:
    """The CSV of the public reports that match, streamed."""
    return encoded(csv_text(batches(db, "csv", filters, base)))
