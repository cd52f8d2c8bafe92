"""Areas outside the city (异地) by administrative division code: the 31 province-level divisions of
GB/T 2260, and city-level codes within them (6 digits, the first two a province). Used for 异地就医 filing
destinations, institutions elsewhere and clearing counterparts.

The home area is `settings.YIBAO_HOME_AREA_CODE` (a labelled configurable default: 500000 重庆市). A
province-level municipality's home area is its whole province code (50xxxx), otherwise its city (xxxx00).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError

PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}  # fmt: skip
MUNICIPALITIES = {"11", "12", "31", "50"}
_CODE = re.compile(r"^[0-9]{6}$")


def home_area_code() -> str:
    return getattr(settings, "YIBAO_HOME_AREA_CODE", "500000")


def _home_prefix() -> str:
    home = home_area_code()
    return home[:2] if home[:2] in MUNICIPALITIES else home[:4]


def is_home_area(code: str) -> bool:
    return (code or "").startswith(_home_prefix())


def area_name(code: str) -> str:
    """ "四川省" for 510000, "四川省（510100）" for a city of it; the code itself when unknown."""
    code = (code or "").strip()
    province = PROVINCES.get(code[:2])
    if province is None:
        return code
    return province if code.endswith("0000") else f"{province}（{code}）"


def area_code_clean(value: str, *, field: str = "area_code", allow_home: bool = False) -> str:
    """A 6-digit division code of a known province, not the home city unless `allow_home`."""
    code = (value or "").strip()
    if not _CODE.match(code):
        raise ValidationError({field: "地区编码应为6位行政区划代码，如 510000（四川省）或 440300"})
    if code[:2] not in PROVINCES:
        raise ValidationError({field: f"地区编码 {code} 不是有效的省级行政区划代码开头"})
    if not allow_home and is_home_area(code):
        raise ValidationError({field: f"{area_name(code)} 属于本统筹区，市内就医无需异地就医备案"})
    return code


def area_choices() -> list[tuple[str, str]]:
    """Province-level choices for forms (a city-level code may still be typed through the API)."""
    return [(f"{p}0000", name) for p, name in PROVINCES.items() if not is_home_area(f"{p}0000")]
