"""The data dictionary: every column of the CSV (and property of the GeoJSON), in one place.

The CSV header, the GeoJSON properties, the ``/open-data`` page's table and the Data Package
descriptor are all read from ``FIELDS``, so that they cannot disagree. Meanings are given in both
languages at once (the page shows both), not through the catalog: a data dictionary is a
reference that a reader of either language may cite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ioc.i18n import N_

LICENCE_ID: Final = "CC-BY-4.0"
LICENCE_URL: Final = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_TITLE: Final = "Creative Commons Attribution 4.0 International"
PUBLISHER: Final = "Trung tâm Giám sát, Điều hành đô thị thông minh (IOC)"
ATTRIBUTION: Final = f"Phản ánh hiện trường — {PUBLISHER}, {LICENCE_ID}"
# The states a public report can be in, as the ``state`` column writes them.
STATE_VALUES: Final = ("assigned", "returned", "in_progress", "resolved", "published", "reopened")


@dataclass(frozen=True, slots=True)
class Field:
    """One column: its name, Frictionless type, meaning in Vietnamese and English, an example."""

    name: str
    type: str
    vi: str
    en: str
    example: str
    format: str = "default"


FIELDS: Final = (
    Field(
        "code", "string", "Mã theo dõi của phản ánh", "The report's tracking code", "PA-2026-000123"
    ),
    Field(
        "state",
        "string",
        "Trạng thái: assigned (đã chuyển xử lý), returned (bị trả lại), in_progress (đang xử "
        "lý), resolved (đã xử lý, chờ duyệt), published (đã công bố kết quả), reopened (mở lại)",
        "State: assigned (forwarded to the agency), returned (returned by the agency), "
        "in_progress (being handled), resolved (handled, result under review), published "
        "(result published), reopened (reopened by the resident)",
        "published",
    ),
    Field("category", "string", "Mã lĩnh vực", "Category code", "giao-thong"),
    Field(
        "category_vi",
        "string",
        "Tên lĩnh vực (tiếng Việt)",
        "Category name in Vietnamese",
        "Giao thông",
    ),
    Field(
        "category_en", "string", "Tên lĩnh vực (tiếng Anh)", "Category name in English", "Traffic"
    ),
    Field(
        "ward",
        "string",
        "Mã phường/xã (mã đơn vị hành chính 2025)",
        "Ward or commune code (2025 administrative unit code)",
        "26526",
    ),
    Field("ward_name", "string", "Tên phường/xã", "Ward or commune name", "Phường Tam Thắng"),
    Field("agency", "string", "Mã cơ quan xử lý", "Code of the agency handling it", "ubnd-26526"),
    Field(
        "agency_name",
        "string",
        "Tên cơ quan xử lý",
        "Name of the agency handling it",
        "UBND Phường Tam Thắng",
    ),
    Field(
        "created",
        "datetime",
        "Thời điểm người dân gửi (giờ Việt Nam, ISO 8601)",
        "When the resident sent it (Vietnam time, ISO 8601)",
        "2026-11-02T08:15:00+07:00",
    ),
    Field(
        "forwarded",
        "datetime",
        "Thời điểm chuyển cho cơ quan xử lý",
        "When it was forwarded to the agency",
        "2026-11-02T09:00:00+07:00",
    ),
    Field("due", "datetime", "Hạn xử lý", "Deadline for the result", "2026-11-05T09:00:00+07:00"),
    Field(
        "published",
        "datetime",
        "Thời điểm công bố kết quả (trống nếu chưa có)",
        "When the result was published (empty if not yet)",
        "2026-11-04T15:30:00+07:00",
    ),
    Field(
        "on_time",
        "boolean",
        "Đúng hạn: true/false khi đã công bố kết quả (không trễ hạn nào của cơ quan), "
        "trống nếu chưa",
        "On time: true/false once the result is published (no deadline of the agency "
        "missed), empty before",
        "true",
    ),
    Field("lat", "number", "Vĩ độ (WGS 84)", "Latitude (WGS 84)", "10.345678"),
    Field("lon", "number", "Kinh độ (WGS 84)", "Longitude (WGS 84)", "107.084321"),
    Field(
        "description",
        "string",
        "Nội dung phản ánh của người dân (trong CSV, văn bản bắt đầu bằng = + - @ có thêm dấu "
        "' phía trước để bảng tính không chạy nó như công thức)",
        "The resident's description (in the CSV, a text starting with = + - @ gets a leading ' "
        "so that spreadsheets do not run it as a formula)",
        "Ổ gà lớn trước số 12",
    ),
    Field(
        "result",
        "string",
        "Kết quả xử lý đã công bố (trống nếu chưa có; trong CSV như cột description)",
        "The published result (empty if not yet; in the CSV as the description column)",
        "Đã vá ổ gà",
    ),
    Field(
        "url",
        "string",
        "Trang công khai của phản ánh",
        "The report's public page",
        "https://example.gov.vn/public/reports/PA-2026-000123",
        "uri",
    ),
)
NAMES: Final = tuple(field.name for field in FIELDS)

TYPE_LABELS: Final = {
    "string": N_("text"),
    "datetime": N_("date and time"),
    "boolean": N_("true/false"),
    "number": N_("number"),
}
