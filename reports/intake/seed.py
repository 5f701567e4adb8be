"""Demo reports at real places, filed through the same intake as residents' reports.

Each has a fixed idempotency key, so seeding again replays them instead of adding new ones.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.intake import service
from reports.intake.submission import Submission
from reports.media.store import MediaStore
from reports.models import LocationSource

SEED_ADDRESS = "demo-seed"


@dataclass(frozen=True)
class DemoReport:
    """A made-up report at a real place (coordinates from routing/data/demo_places.geojson)."""

    category: str
    lon: float
    lat: float
    description: str
    colour: tuple[int, int, int]


DEMO_REPORTS = (
    DemoReport(
        "ve-sinh-moi-truong",
        107.0745,
        10.3452,
        "Rác thải dồn thành đống dọc bờ kè Bãi Trước sau cuối tuần, chưa được thu gom.",
        (120, 110, 90),
    ),
    DemoReport(
        "chieu-sang",
        107.0678,
        10.3511,
        "Hai cột đèn trên đường Trần Phú đoạn gần Bạch Dinh không sáng mấy đêm nay.",
        (30, 35, 60),
    ),
    DemoReport(
        "trat-tu-do-thi",
        107.093672,
        10.339943,
        "Hàng quán lấn chiếm vỉa hè đường Thùy Vân, người đi bộ phải xuống lòng đường.",
        (150, 140, 130),
    ),
    DemoReport(
        "cay-xanh",
        107.0778,
        10.3336,
        "Cành cây gãy sau cơn mưa chắn một phần đường lên hải đăng.",
        (60, 120, 60),
    ),
    DemoReport(
        "giao-thong",
        107.08426,
        10.34599,
        "Ổ gà lớn giữa đường, xe máy phải tránh gấp, rất nguy hiểm vào ban đêm.",
        (90, 90, 95),
    ),
    DemoReport(
        "thoat-nuoc",
        107.083499,
        10.320832,
        "Nước ngập khoảng 30 cm sau mưa, miệng cống bị rác bịt kín.",
        (70, 100, 130),
    ),
    DemoReport(
        "an-ninh-trat-tu",
        107.21667,
        10.48333,
        "Tiếng ồn karaoke kéo dài đến sau 23 giờ nhiều đêm liền.",
        (80, 40, 90),
    ),
    DemoReport(
        "giao-thong",
        107.054,
        10.6036,
        "Biển báo tại ngã tư bị đổ, người lái xe không biết đường nào được ưu tiên.",
        (110, 100, 80),
    ),
    DemoReport(
        "ve-sinh-moi-truong",
        107.5889,
        16.4736,
        "Nước thải từ khu chợ Đông Ba chảy tràn ra đường, bốc mùi hôi.",
        (100, 110, 70),
    ),
    DemoReport(
        "vien-thong",
        107.5786,
        16.4668,
        "Dây cáp viễn thông chằng chịt, có đoạn treo thấp sát đầu người đi đường.",
        (60, 60, 70),
    ),
    DemoReport(
        "cap-nuoc",
        107.6449912,
        16.5603713,
        "Đường ống cấp nước bị vỡ, nước chảy tràn ra đường từ sáng.",
        (60, 110, 150),
    ),
    DemoReport(
        "dien-luc",
        107.5903,
        16.3986,
        "Cột điện nghiêng sau bão, dây điện võng thấp gần nhà dân.",
        (100, 100, 60),
    ),
)


def demo_photo(demo: DemoReport) -> bytes:
    """A plain made-up picture: sky, ground and a marker, in the report's colour."""
    image = Image.new("RGB", (1200, 900), (180, 205, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, 1200, 900), fill=demo.colour)
    draw.ellipse((480, 300, 720, 540), fill=(200, 40, 40), outline=(255, 255, 255), width=8)
    draw.text((40, 40), demo.category, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _submission(number: int, demo: DemoReport) -> Submission:
    fingerprint = hashlib.sha256(f"{demo.category}|{demo.lat}|{demo.lon}".encode()).hexdigest()
    return demo_submission(demo, f"demo-seed-{number}", fingerprint)


def demo_submission(demo: DemoReport, key: str, fingerprint: str) -> Submission:
    """A demo report as the reporting page sends it: a pin on the map, one photo, no contact."""
    return Submission(
        category=demo.category,
        description=demo.description,
        lat=demo.lat,
        lon=demo.lon,
        location_source=LocationSource.map,
        office=None,
        name=None,
        phone=None,
        email=None,
        keep_private=True,
        photos=[demo_photo(demo)],
        video=None,
        idempotency_key=key,
        fingerprint=fingerprint,
    )


def load_demo_reports(db: Session, settings: Settings) -> int:
    """File the demo reports that are not there yet; returns how many were added."""
    added = 0
    store = MediaStore(settings.media_dir)
    for number, demo in enumerate(DEMO_REPORTS, start=1):
        intake = service.submit(db, store, settings, _submission(number, demo), SEED_ADDRESS)
        added += 0 if intake.replayed else 1
    return added
