"""The demo stories: reports along the whole lifecycle, at real places of the demo cities.

Times are working hours before the moment of seeding (``reports.lifecycle.seed`` turns them into
moments with routing's calendar); the agency is the one routing suggests unless a step names one.
Every state of DOMAIN.md appears, some on time and some overdue: the comments say which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.intake.seed import DemoReport


@dataclass(frozen=True)
class Step:
    """One action, ``ago`` working hours before the seed's moment."""

    action: str
    ago: float
    reason: str = ""
    note: str = ""
    extend_days: int = 0  # request_extension: the new date, in working days past the deadline
    photos: int = 0  # resolve: after-photos
    of: str | None = None  # mark_duplicate: the key of the story this one repeats


@dataclass(frozen=True)
class Story:
    """A report filed ``filed`` working hours ago, and what happened to it since."""

    key: str
    scene: DemoReport
    filed: float
    steps: tuple[Step, ...] = field(default_factory=tuple)


def _at(category: str, lon: float, lat: float, text: str) -> DemoReport:
    """A scene: its made-up photo takes a colour from the category."""
    return DemoReport(category, lon, lat, text, COLOURS.get(category, (110, 110, 110)))


COLOURS = {
    "giao-thong": (90, 90, 95),
    "chieu-sang": (30, 30, 60),
    "cay-xanh": (60, 120, 60),
    "trat-tu-do-thi": (150, 130, 120),
    "ve-sinh-moi-truong": (120, 110, 90),
    "thoat-nuoc": (70, 100, 130),
    "an-ninh-trat-tu": (80, 40, 90),
    "cap-nuoc": (60, 110, 150),
    "dien-luc": (100, 100, 60),
}
FORWARD = "verify_forward"
ACCEPT = "accept"
EXTEND = "request_extension"

# Deadlines (DOMAIN.md): verify 2 working hours, accept 8, a normal result 3 working days (24 h)
# from forwarding; an urgent report (dien-luc) counts calendar hours.
STORIES: tuple[Story, ...] = (
    # submitted, verification overdue
    Story("lifecycle-1", _at("giao-thong", 107.0855, 10.3465, "Nắp hố ga bị vỡ giữa đường."), 6),
    # assigned, on time
    Story(
        "lifecycle-2",
        _at("chieu-sang", 107.0690, 10.3520, "Đèn đường chớp tắt liên tục gần Bạch Dinh."),
        5,
        (Step(FORWARD, 4),),
    ),
    # assigned, acceptance overdue
    Story(
        "lifecycle-3",
        _at("cay-xanh", 107.0760, 10.3440, "Cây xanh nghiêng, rễ làm bong gạch vỉa hè."),
        20,
        (Step(FORWARD, 19, note="Đề nghị xử lý trước mùa mưa bão."),),
    ),
    # returned by the agency, waiting for the IOC, on time
    Story(
        "lifecycle-4",
        _at("trat-tu-do-thi", 107.0930, 10.3410, "Biển quảng cáo dựng trái phép trên vỉa hè."),
        6,
        (
            Step(FORWARD, 5.5),
            Step("return", 1, reason="Biển quảng cáo thuộc thẩm quyền của Sở Xây dựng."),
        ),
    ),
    # in progress, on time (lifecycle-16 repeats it)
    Story(
        "lifecycle-5",
        _at("giao-thong", 107.08426, 10.34599, "Ổ gà lớn giữa đường, xe máy phải tránh gấp."),
        12,
        (Step(FORWARD, 11), Step(ACCEPT, 8)),
    ),
    # in progress, an extension waiting for the supervisor
    Story(
        "lifecycle-6",
        _at("ve-sinh-moi-truong", 107.0750, 10.3458, "Rác thải dồn đống sau chợ, bốc mùi."),
        22,
        (
            Step(FORWARD, 21),
            Step(ACCEPT, 20),
            Step(EXTEND, 2, reason="Cần xe chuyên dụng.", extend_days=2),
        ),
    ),
    # in progress, extension approved, on time thanks to it
    Story(
        "lifecycle-7",
        _at("thoat-nuoc", 107.0835, 10.3212, "Cống thoát nước bị sụp, nước ngập khi mưa."),
        40,
        (
            Step(FORWARD, 39),
            Step(ACCEPT, 36),
            Step(EXTEND, 20, reason="Chờ vật tư thay nắp cống.", extend_days=3),
            Step("approve_extension", 18),
        ),
    ),
    # in progress, result overdue
    Story(
        "lifecycle-8",
        _at("chieu-sang", 107.0740, 10.3322, "Cả dãy đèn đường Hạ Long không sáng."),
        60,
        (Step(FORWARD, 58), Step(ACCEPT, 52)),
    ),
    # in progress, extension denied, result overdue
    Story(
        "lifecycle-9",
        _at("cay-xanh", 107.0782, 10.3340, "Cành cây khô có nguy cơ gãy đổ."),
        50,
        (
            Step(FORWARD, 49),
            Step(ACCEPT, 45),
            Step(EXTEND, 30, reason="Chờ phối hợp cắt điện.", extend_days=4),
            Step("deny_extension", 28, reason="Cần xử lý ngay vì nguy hiểm."),
        ),
    ),
    # resolved, the result waiting for the IOC's review
    Story(
        "lifecycle-10",
        _at("giao-thong", 107.0950, 10.3740, "Vạch kẻ đường mờ trước cổng trường."),
        30,
        (
            Step(FORWARD, 29),
            Step(ACCEPT, 27),
            Step("resolve", 6, note="Đã sơn lại vạch kẻ đường.", photos=1),
        ),
    ),
    # sent back to the agency (proof not enough), result overdue
    Story(
        "lifecycle-11",
        _at("ve-sinh-moi-truong", 107.0848, 10.3265, "Rác xây dựng đổ trộm dưới chân núi Nhỏ."),
        45,
        (
            Step(FORWARD, 44),
            Step(ACCEPT, 40),
            Step("resolve", 21, note="Đã dọn.", photos=1),
            Step("send_back", 18, reason="Ảnh chưa cho thấy khu vực đã được dọn sạch."),
        ),
    ),
    # published with two after-photos, after an approved extension
    Story(
        "lifecycle-12",
        _at("thoat-nuoc", 107.0680, 10.3505, "Nước ngập sau mưa, miệng cống bị rác bịt kín."),
        70,
        (
            Step(FORWARD, 69),
            Step(ACCEPT, 66),
            Step(EXTEND, 60, reason="Cần nạo vét cả đoạn cống.", extend_days=2),
            Step("approve_extension", 58),
            Step("resolve", 50, note="Đã nạo vét, khơi thông cống.", photos=2),
            Step("approve_result", 48),
        ),
    ),
    # published
    Story(
        "lifecycle-13",
        _at("an-ninh-trat-tu", 107.1685, 10.4963, "Tụ tập gây ồn ào sau 23 giờ."),
        40,
        (
            Step(FORWARD, 39),
            Step(ACCEPT, 37),
            Step("resolve", 16, note="Đã nhắc nhở, lập biên bản các hộ vi phạm.", photos=1),
            Step("approve_result", 10),
        ),
    ),
    # reopened by the resident (Huế), waiting for the IOC, on time
    Story(
        "lifecycle-14",
        _at("cap-nuoc", 107.5906, 16.4689, "Ống nước rò rỉ gần cầu Trường Tiền."),
        30,
        (
            Step(FORWARD, 29),
            Step(ACCEPT, 27),
            Step("resolve", 6, note="Đã thay đoạn ống bị rò.", photos=1),
            Step("approve_result", 3),
            Step("reopen", 1, note="Ống lại rò nước từ sáng nay."),
        ),
    ),
    # rejected: a complaint follows other laws (DOMAIN.md)
    Story(
        "lifecycle-15",
        _at("giao-thong", 107.0721, 10.3475, "Khiếu nại quyết định xử phạt vi phạm giao thông."),
        8,
        (
            Step(
                "reject",
                7,
                reason="Nội dung là khiếu nại, giải quyết theo Luật Khiếu nại: "
                "đề nghị gửi đơn đến cơ quan đã ra quyết định.",
            ),
        ),
    ),
    # a duplicate of lifecycle-5, a few metres away
    Story(
        "lifecycle-16",
        _at("giao-thong", 107.0844, 10.3461, "Ổ gà sâu trên đường, rất nguy hiểm."),
        3,
        (Step("mark_duplicate", 2, of="lifecycle-5", note="Cùng ổ gà đã được phản ánh."),),
    ),
    # urgent (calendar hours, Huế), acceptance overdue
    Story(
        "lifecycle-17",
        _at("dien-luc", 107.5786, 16.4668, "Dây điện đứt rơi xuống vỉa hè trước Ngọ Môn."),
        6,
        (Step(FORWARD, 5.5),),
    ),
)
