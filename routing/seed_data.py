"""Demo routing data: the categories of DOMAIN.md, sector bodies and the rules between them.

Service areas are built in SQL from real ward boundaries (a union of some wards, optionally
grown by a buffer in metres or cut to a circle around a centre), so that they cross ward
boundaries the way real service areas do. Names follow the real bodies of the two demo cities;
contacts are made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.models import AgencyKind, JurisdictionLevel, RuleTarget
from routing.sla import Priority


@dataclass(frozen=True)
class CategorySeed:
    """One category (lĩnh vực)."""

    code: str
    name_vi: str
    name_en: str
    group: str
    icon: str
    geographic: bool = True
    priority: Priority = Priority.normal


# The last three are not geographic (DOMAIN.md): they concern an office the resident names.
CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed("giao-thong", "Giao thông", "Roads and traffic", "infrastructure", "🚦"),
    CategorySeed("trat-tu-do-thi", "Trật tự đô thị", "Urban order", "order", "🚧"),
    CategorySeed(
        "ve-sinh-moi-truong", "Vệ sinh môi trường", "Rubbish and pollution", "environment", "🗑"
    ),
    CategorySeed("cap-nuoc", "Cấp nước", "Water supply", "infrastructure", "🚰"),
    CategorySeed(
        "thoat-nuoc", "Thoát nước, ngập úng", "Drainage and flooding", "infrastructure", "🌊"
    ),
    CategorySeed("chieu-sang", "Chiếu sáng công cộng", "Street lighting", "infrastructure", "💡"),
    CategorySeed("cay-xanh", "Cây xanh", "Trees and parks", "environment", "🌳"),
    CategorySeed(
        "dien-luc", "Điện lực", "Electricity", "infrastructure", "⚡", priority=Priority.urgent
    ),
    CategorySeed("vien-thong", "Viễn thông", "Telecom cables", "infrastructure", "📡"),
    CategorySeed("an-ninh-trat-tu", "An ninh trật tự", "Public order and noise", "order", "👮"),
    CategorySeed(
        "thai-do-phuc-vu",
        "Thái độ phục vụ của cán bộ",
        "Conduct of officials",
        "public_service",
        "🙋",
        geographic=False,
    ),
    CategorySeed(
        "ho-so-cham-tre",
        "Hồ sơ, thủ tục hành chính chậm trễ",
        "Late dossiers and procedures",
        "public_service",
        "📄",
        geographic=False,
    ),
    CategorySeed("khac", "Khác", "Other", "other", "❓", geographic=False),
)


@dataclass(frozen=True)
class AreaSeed:
    """A service area: the union of some wards, grown by ``buffer_m`` or cut to a circle."""

    wards: tuple[str, ...]
    buffer_m: float = 0.0
    circle: tuple[float, float, float] | None = None  # lon, lat, radius in metres


@dataclass(frozen=True)
class AgencySeed:
    """A sector body or a provincial department."""

    code: str
    name: str
    kind: AgencyKind
    parent: str | None = None
    province: str | None = None  # a department's or a committee's province code
    area: AreaSeed | None = None
    phone: str = ""


VT_CITY = ("26506", "26526", "26536", "26542")  # Vũng Tàu, Tam Thắng, Rạch Dừa, Phước Thắng
BR_CITY = ("26560", "26566", "26572")  # Bà Rịa, Long Hương, Tam Long
BRVT_ALL = (
    *("26506", "26526", "26536", "26542", "26545", "26560", "26566", "26572", "26575"),
    *("26584", "26590", "26596", "26608", "26617", "26620", "26632", "26638", "26641"),
    *("26647", "26656", "26659", "26662", "26680", "26686", "26704", "26710", "26713"),
    *("26725", "26728", "26732"),
)
HUE_CENTRE = ("19753", "19774", "19777", "19789", "19804", "19813", "19815")
HUE_ALL = (
    *HUE_CENTRE,
    *("19819", "19828", "19831", "19858", "19867", "19873", "19885", "19900", "19909"),
    *("19918", "19930", "19942", "19945", "19960", "19969", "19975", "19996", "20014"),
    *("20017", "20035", "20044", "20050", "20056", "20071", "20101", "20107", "20122"),
    *("20131", "20137", "20140", "20161", "20179", "20182"),
)
HUE_HIGHLANDS = ("20044", "20050", "20056", "20071", "20101", "20161", "20179", "20182")

# Provincial bodies are created per province by the seed: ubnd-79, ca-79, sxd-79 (and -46).
SECTOR_AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed(
        "pc-brvt",
        "Công ty Điện lực Bà Rịa – Vũng Tàu",
        AgencyKind.power,
        area=AreaSeed(BRVT_ALL),
        phone="19001006",
    ),
    AgencySeed(
        "dl-vungtau",
        "Điện lực Vũng Tàu",
        AgencyKind.power,
        parent="pc-brvt",
        area=AreaSeed(VT_CITY, buffer_m=500),
    ),
    AgencySeed(
        "dl-baria",
        "Điện lực Bà Rịa",
        AgencyKind.power,
        parent="pc-brvt",
        area=AreaSeed((*BR_CITY, "26545", "26659", "26662")),
    ),
    AgencySeed(
        "capnuoc-brvt",
        "Công ty CP Cấp nước Bà Rịa – Vũng Tàu",
        AgencyKind.water,
        area=AreaSeed(
            (*VT_CITY, *BR_CITY, "26659", "26662", "26680", "26686", "26704", "26710", "26725"),
            buffer_m=300,
        ),
    ),
    AgencySeed(
        "thoatnuoc-brvt",
        "Công ty TNHH MTV Thoát nước và Phát triển đô thị Bà Rịa – Vũng Tàu",
        AgencyKind.drainage,
        area=AreaSeed((*VT_CITY, *BR_CITY), buffer_m=200),
    ),
    AgencySeed(
        "dvdt-vungtau",
        "Công ty CP Dịch vụ Đô thị Vũng Tàu",
        AgencyKind.urban_services,
        area=AreaSeed((*VT_CITY, "26545")),
    ),
    AgencySeed(
        "dvdt-baria",
        "Công ty CP Dịch vụ Đô thị Bà Rịa",
        AgencyKind.urban_services,
        area=AreaSeed(BR_CITY, buffer_m=1000),
    ),
    AgencySeed(
        "chieusang-vungtau",
        "Đội chiếu sáng khu vực Vũng Tàu",
        AgencyKind.lighting,
        parent="dvdt-vungtau",
        area=AreaSeed(VT_CITY, circle=(107.0843, 10.3460, 6000)),
    ),
    AgencySeed(
        "pc-hue", "Công ty Điện lực Huế", AgencyKind.power, area=AreaSeed(HUE_ALL), phone="19001909"
    ),
    AgencySeed(
        "dl-hue",
        "Điện lực Huế",
        AgencyKind.power,
        parent="pc-hue",
        area=AreaSeed(HUE_CENTRE, buffer_m=300),
    ),
    AgencySeed(
        "capnuoc-hue",
        "Công ty CP Cấp nước Thừa Thiên Huế",
        AgencyKind.water,
        area=AreaSeed(tuple(c for c in HUE_ALL if c not in HUE_HIGHLANDS)),
    ),
    AgencySeed(
        "moitruong-hue",
        "Công ty CP Môi trường và Công trình đô thị Huế",
        AgencyKind.urban_services,
        area=AreaSeed((*HUE_CENTRE, "19900", "19909", "19930"), buffer_m=300),
    ),
    AgencySeed(
        "cayxanh-hue",
        "Trung tâm Công viên cây xanh Huế",
        AgencyKind.other,
        parent="moitruong-hue",
        area=AreaSeed(HUE_CENTRE, circle=(107.5786, 16.4668, 5000)),
    ),
)


@dataclass(frozen=True)
class RuleSeed:
    """One routing rule; ``position`` is the number operators see."""

    position: int
    category: str
    target: RuleTarget
    kind: AgencyKind | None = None
    level: JurisdictionLevel | None = None
    agency: str | None = None
    within_service_area: bool = False
    jurisdictions: tuple[str, ...] = field(default=())  # ward or province codes
    note: str = ""


def _ward_rule(position: int, category: str, note: str = "") -> RuleSeed:
    return RuleSeed(
        position,
        category,
        RuleTarget.jurisdiction,
        AgencyKind.ward_committee,
        JurisdictionLevel.ward,
        note=note or "UBND phường/xã nơi xảy ra",
    )


def _area_rule(position: int, category: str, kind: AgencyKind) -> RuleSeed:
    return RuleSeed(position, category, RuleTarget.service_area, kind)


def _named_rule(position: int, category: str, agency: str) -> RuleSeed:
    return RuleSeed(position, category, RuleTarget.agency, agency=agency, within_service_area=True)


RULES: tuple[RuleSeed, ...] = (
    RuleSeed(
        1,
        "giao-thong",
        RuleTarget.jurisdiction,
        AgencyKind.department,
        JurisdictionLevel.province,
        jurisdictions=("46",),
        note="Huế: Sở Xây dựng quản lý đường, biển báo, đèn tín hiệu",
    ),
    _ward_rule(2, "giao-thong"),
    _ward_rule(3, "trat-tu-do-thi"),
    _area_rule(4, "ve-sinh-moi-truong", AgencyKind.urban_services),
    _ward_rule(5, "ve-sinh-moi-truong"),
    _area_rule(6, "cap-nuoc", AgencyKind.water),
    _ward_rule(7, "cap-nuoc"),
    _area_rule(8, "thoat-nuoc", AgencyKind.drainage),
    _named_rule(9, "thoat-nuoc", "moitruong-hue"),
    _ward_rule(10, "thoat-nuoc"),
    _named_rule(11, "chieu-sang", "cayxanh-hue"),
    _named_rule(12, "chieu-sang", "chieusang-vungtau"),
    _ward_rule(13, "chieu-sang"),
    _named_rule(14, "cay-xanh", "cayxanh-hue"),
    _area_rule(15, "cay-xanh", AgencyKind.urban_services),
    _ward_rule(16, "cay-xanh"),
    _area_rule(17, "dien-luc", AgencyKind.power),
    _ward_rule(18, "vien-thong", "UBND phường/xã phối hợp với doanh nghiệp viễn thông"),
    RuleSeed(
        19,
        "an-ninh-trat-tu",
        RuleTarget.jurisdiction,
        AgencyKind.ward_police,
        JurisdictionLevel.ward,
    ),
    RuleSeed(
        20,
        "an-ninh-trat-tu",
        RuleTarget.jurisdiction,
        AgencyKind.province_police,
        JurisdictionLevel.province,
    ),
)
