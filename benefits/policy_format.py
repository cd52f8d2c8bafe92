"""The benefit policy file format (docs/benefit-policy.md), shared by the loader and the export.

Format 2 carries the seeds' structure, not just figures:

- 普通门诊统筹 is one pot per (scheme, category, tier) with one yearly deductible and one annual cap, and a
  list of channels (hospital per institution level, designated pharmacy) with their own ratios. 001: "将符合
  条件的定点零售药店提供的用药保障服务纳入普通门诊统筹保障范围", "医保基金对不同的门诊共济保障方式不重复支付".
  In the database each channel is one BenefitPolicy row (hospital: `outpatient`, pharmacy: `pharmacy`)
  carrying the pot's deductible and cap; settlements read the pot's deductible and cap from its hospital
  channel at level 0, which every pot must have, so the pot has one source of truth.
- 门诊慢特病 lines may name a disease (`disease_code`) with its own terms, or say `like_inpatient`: 001 "对部分
  适合在门诊开展、比住院更经济方便的特殊治疗，可参照住院待遇进行管理".
- `medical_aid`: the aid ratio per claim type (null: the aid category's own ratio).
- `remote_care`: 异地就医 per filing type and for care without a filing ("unfiled"): how many percentage
  points the pooled ratio drops, how long a filing is valid, how long a long-term filing must stand before
  it may change, the documents the counter checks and those a self-service channel asks for. Every type
  must be listed; no filed type may be reduced more than care without a filing.

`validate_document` is pure (no database): it checks the seed constraints and returns the rows to store,
or raises ValidationError naming the line (`benefits 第6条`) and the rule in Chinese.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

FORMAT = "yibao-benefit-policy/2"
BENEFIT_KEY = ("scheme", "category", "tier", "benefit_type", "institution_level", "disease_code")
BENEFIT_VALUES = ("deductible", "deductible_per", "ratio", "annual_cap", "like_inpatient", "source")
CRITICAL_VALUES = ("deductible", "bands", "annual_cap", "tilt_deductible_factor", "tilt_ratio_bonus", "source")
AID_VALUES = ("ratio", "source")
CLAIM_TYPES = ("outpatient", "chronic", "inpatient", "pharmacy")
CHANNELS = {"hospital": "outpatient", "pharmacy": "pharmacy"}  # channel -> the benefit type it settles as

HALF = Decimal("0.5")
RULE_FLOOR = "渝府办发〔2022〕16号：“在职职工在定点医疗机构发生的符合规定的医疗费用，统筹基金支付比例不低于 50%”"
RULE_TILT = "渝府办发〔2022〕16号：“基金支付比例不低于 50%，适度向退休人员倾斜”"
RULE_POT = "渝府办发〔2022〕16号：“医保基金对不同的门诊共济保障方式不重复支付”"
RULE_LIKE_INPATIENT = "渝府办发〔2022〕16号：“可参照住院待遇进行管理”"


def _decimal(label: str, field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({label: f"{field} 应为数字：{value}"}) from None
    if not number.is_finite():
        raise ValidationError({label: f"{field} 应为数字：{value}"})
    return number


def _ratio_text(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def _outpatient_rows(year: int, i: int, line: dict) -> list[dict]:
    """One pot line -> one row per channel, each carrying the pot's deductible and cap."""
    label = f"benefits 第{i}条"
    channels = line.get("channels")
    if not isinstance(channels, list) or not channels:
        raise ValidationError(
            {label: f"普通门诊统筹须列出渠道（channels：医院、定点零售药店），共用起付标准和支付限额（{RULE_POT}）"}
        )
    if line.get("deductible_per", "year") != "year":
        raise ValidationError({label: "普通门诊统筹的起付标准按自然年度累计计算（deductible_per 应为 year）"})
    seen: set[tuple[str, int]] = set()
    rows = []
    for j, channel in enumerate(channels, start=1):
        kind = channel.get("channel")
        if kind not in CHANNELS:
            raise ValidationError({label: f"第{j}个渠道应为 hospital（医院）或 pharmacy（定点零售药店）"})
        level = channel.get("institution_level", 0) if kind == "hospital" else 0
        if (kind, level) in seen:
            raise ValidationError({label: f"第{j}个渠道重复：同一渠道、同一医院等级只能有一个比例"})
        seen.add((kind, level))
        rows.append(
            {
                "key": {
                    "year": year,
                    "scheme": line.get("scheme"),
                    "category": line.get("category", ""),
                    "tier": line.get("tier", 0),
                    "benefit_type": CHANNELS[kind],
                    "institution_level": level,
                    "disease_code": "",
                },
                "values": {
                    "deductible": line.get("deductible"),
                    "deductible_per": "year",
                    "ratio": channel.get("ratio"),
                    "annual_cap": line.get("annual_cap"),
                    "like_inpatient": False,
                    "source": channel.get("source") or line.get("source", ""),
                },
                "label": label,
            }
        )
    if ("hospital", 0) not in seen:
        raise ValidationError(
            {label: "普通门诊统筹须有不分医院等级（institution_level 0）的医院渠道，作为该统筹的起付标准和支付限额"}
        )
    return rows


def _plain_row(year: int, i: int, line: dict, chronic_codes: set[str] | None) -> dict:
    label = f"benefits 第{i}条"
    benefit_type = line.get("benefit_type")
    if benefit_type == "pharmacy":
        raise ValidationError({label: f"药店购药属于普通门诊统筹，请写在 outpatient 统筹的 channels 中（{RULE_POT}）"})
    disease = (line.get("disease_code") or "").strip()
    like_inpatient = bool(line.get("like_inpatient", False))
    if (disease or like_inpatient) and benefit_type != "chronic":
        raise ValidationError({label: "disease_code 和 like_inpatient 只用于门诊慢特病（chronic）"})
    if like_inpatient and not disease:
        raise ValidationError({label: "参照住院待遇须指明病种（disease_code）"})
    if disease and chronic_codes is not None and disease not in chronic_codes:
        raise ValidationError({label: f"门诊慢特病病种目录中没有病种 {disease}（两病门诊用药保障不是门诊慢特病）"})
    values = {k: line.get(k) for k in ("deductible", "deductible_per", "ratio", "annual_cap")}
    if like_inpatient:
        given = [k for k in ("deductible", "ratio", "annual_cap") if line.get(k) not in (None, "")]
        if given:
            fields = "、".join(given)
            message = f"参照住院待遇的病种按住院的起付标准、比例和限额结算，不另设 {fields}（{RULE_LIKE_INPATIENT}）"
            raise ValidationError({label: message})
        # Stored as zeros: the settlement reads the inpatient line instead.
        values = {"deductible": "0.00", "deductible_per": "admission", "ratio": "0", "annual_cap": "0.00"}
    return {
        "key": {
            "year": year,
            **{k: line.get(k, "" if k == "category" else 0) for k in BENEFIT_KEY[:-1]},
            "disease_code": disease,
        },
        "values": {**values, "like_inpatient": like_inpatient, "source": line.get("source", "")},
        "label": label,
    }


def _ratio_of(rows: list[dict], *, scheme: str, category: str, benefit_type: str, level: int) -> tuple[Decimal, dict]:
    """The most specific row of the file for a person of `category` (as benefit_policy_for picks)."""
    fitting = [
        r
        for r in rows
        if r["key"]["scheme"] == scheme
        and r["key"]["benefit_type"] == benefit_type
        and r["key"]["category"] in ("", category)
        and r["key"]["institution_level"] in (0, level)
        and r["key"]["tier"] == 0
    ]
    if not fitting:
        return None, None
    best = max(fitting, key=lambda r: (r["key"]["category"] != "", r["key"]["institution_level"] != 0))
    return best["_ratio"], best


def _check_employee_outpatient(rows: list[dict]) -> None:
    """001: active employees' hospital outpatient ratio >= 50%; retirees' never below active employees'."""
    channels = [r for r in rows if r["key"]["scheme"] == "employee" and r["key"]["benefit_type"] in CHANNELS.values()]
    for r in channels:
        r["_ratio"] = _decimal(r["label"], "ratio", r["values"]["ratio"])
    for benefit_type in sorted({r["key"]["benefit_type"] for r in channels}):
        channel = "医院渠道" if benefit_type == "outpatient" else "定点零售药店渠道"
        for level in sorted(
            {r["key"]["institution_level"] for r in channels if r["key"]["benefit_type"] == benefit_type}
        ):
            active, active_row = _ratio_of(
                channels, scheme="employee", category="active", benefit_type=benefit_type, level=level
            )
            retired, retired_row = _ratio_of(
                channels, scheme="employee", category="retired", benefit_type=benefit_type, level=level
            )
            where = f"{channel}{f'（{level}级医院）' if level else ''}"
            if benefit_type == "outpatient" and active is not None and active < HALF:
                raise ValidationError(
                    {
                        active_row[
                            "label"
                        ]: f"在职职工普通门诊统筹{where}支付比例 {_ratio_text(active)} 低于 50%（{RULE_FLOOR}）"
                    }
                )
            if active is not None and retired is not None and retired < active:
                raise ValidationError(
                    {
                        retired_row[
                            "label"
                        ]: f"退休人员普通门诊统筹{where}支付比例 {_ratio_text(retired)} 低于在职职工的 "
                        f"{_ratio_text(active)}（{RULE_TILT}）"
                    }
                )


def _check_like_inpatient(rows: list[dict]) -> None:
    inpatient = {r["key"]["scheme"] for r in rows if r["key"]["benefit_type"] == "inpatient"}
    for r in rows:
        if r["values"]["like_inpatient"] and r["key"]["scheme"] not in inpatient:
            raise ValidationError({r["label"]: f"参照住院待遇的病种须有同险种的住院待遇（{RULE_LIKE_INPATIENT}）"})


def _aid_rows(year: int, lines: list) -> list[dict]:
    rows, seen = [], set()
    for i, line in enumerate(lines, start=1):
        label = f"medical_aid 第{i}条"
        benefit_type = line.get("benefit_type")
        if benefit_type not in CLAIM_TYPES:
            raise ValidationError({label: f"benefit_type 应为 {'、'.join(CLAIM_TYPES)} 之一"})
        if benefit_type in seen:
            raise ValidationError({label: f"{benefit_type} 重复"})
        seen.add(benefit_type)
        ratio = line.get("ratio")
        if ratio is not None and not Decimal("0") <= _decimal(label, "ratio", ratio) <= Decimal("1"):
            raise ValidationError({label: "救助比例应在 0 到 1 之间，或为 null（按救助类别的比例）"})
        rows.append(
            {
                "key": {"year": year, "benefit_type": benefit_type},
                "values": {"ratio": ratio, "source": line.get("source", "")},
                "label": label,
            }
        )
    return rows


REMOTE_TYPES = (
    "retired_elsewhere", "living_elsewhere", "working_elsewhere", "referral", "emergency", "other_temporary",
)  # fmt: skip
REMOTE_LONG_TERM = REMOTE_TYPES[:3]
REMOTE_VALUES = (
    "ratio_reduction", "valid_months", "min_months_before_change", "required_documents", "self_service_documents",
    "source",
)  # fmt: skip
RULE_REMOTE = "“就医地目录、参保地政策、就医地管理”"


def _months(label: str, field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
        raise ValidationError({label: f"{field} 应为 0 到 120 之间的整数（月）"})
    return value


def _documents(label: str, field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or any(not isinstance(d, str) or not d.strip() or len(d) > 50 for d in value):
        raise ValidationError({label: f"{field} 应为材料名称的列表（每项不超过50字）"})
    return [d.strip() for d in value]


def _remote_rows(year: int, lines: list) -> list[dict]:
    """`remote_care`: one line per filing type plus "unfiled"; all or none."""
    if not lines:
        return []
    rows, seen = [], {}
    for i, line in enumerate(lines, start=1):
        label = f"remote_care 第{i}条"
        kind = line.get("filing_type")
        if kind not in (*REMOTE_TYPES, "unfiled"):
            raise ValidationError({label: f"filing_type 应为 {'、'.join(REMOTE_TYPES)} 或 unfiled（未备案）"})
        if kind in seen:
            raise ValidationError({label: f"{kind} 重复"})
        reduction = _decimal(label, "ratio_reduction", line.get("ratio_reduction"))
        if not Decimal("0") <= reduction <= Decimal("1"):
            raise ValidationError({label: "ratio_reduction 应在 0 到 1 之间（百分点，如 0.10）"})
        valid = _months(label, "valid_months", line.get("valid_months", 0))
        if kind in REMOTE_TYPES and kind not in REMOTE_LONG_TERM and valid == 0:
            raise ValidationError({label: "临时外出备案须有有效期（valid_months 大于 0）"})
        seen[kind] = (reduction, label)
        rows.append(
            {
                "key": {"year": year, "filing_type": kind},
                "values": {
                    "ratio_reduction": str(reduction),
                    "valid_months": valid,
                    "min_months_before_change": _months(
                        label, "min_months_before_change", line.get("min_months_before_change", 0)
                    ),
                    "required_documents": _documents(label, "required_documents", line.get("required_documents", [])),
                    "self_service_documents": _documents(
                        label, "self_service_documents", line.get("self_service_documents", [])
                    ),
                    "source": line.get("source", ""),
                },
                "label": label,
            }
        )
    missing = [k for k in (*REMOTE_TYPES, "unfiled") if k not in seen]
    if missing:
        raise ValidationError({"remote_care": f"异地就医政策须列出全部备案类型及未备案，缺少：{'、'.join(missing)}"})
    unfiled = seen["unfiled"][0]
    for kind, (reduction, label) in seen.items():
        if reduction > unfiled:
            raise ValidationError(
                {label: f"{kind} 的支付比例降低 {_ratio_text(reduction)} 大于未备案的 {_ratio_text(unfiled)}"
                 f"：备案后不应比未备案待遇更低（{RULE_REMOTE}）"}
            )  # fmt: skip
    return rows


def validate_document(document: dict, *, chronic_codes: set[str] | None = None) -> dict[str, Any]:
    """The rows a policy file stores: {"year", "benefits", "critical_illness", "medical_aid", "remote_care"}, each row
    {"key", "values", "label"}. Refuses the whole file on the first broken rule, naming line and rule."""
    if document.get("format") != FORMAT:
        raise ValidationError(
            {"format": f"文件格式应为 {FORMAT}（普通门诊统筹按统筹列出渠道，见 docs/benefit-policy.md）"}
        )
    year = document.get("year")
    if not isinstance(year, int):
        raise ValidationError({"year": "缺少年度"})
    benefits: list[dict] = []
    for i, line in enumerate(document.get("benefits", []), start=1):
        if line.get("benefit_type") == "outpatient":
            benefits.extend(_outpatient_rows(year, i, line))
        else:
            benefits.append(_plain_row(year, i, line, chronic_codes))
    _check_employee_outpatient(benefits)
    _check_like_inpatient(benefits)
    for row in benefits:
        row.pop("_ratio", None)
    critical = [
        {
            "key": {"year": year, "scheme": line.get("scheme")},
            "values": {k: line.get(k, "") if k == "source" else line.get(k) for k in CRITICAL_VALUES},
            "label": f"critical_illness 第{i}条",
        }
        for i, line in enumerate(document.get("critical_illness", []), start=1)
    ]
    return {
        "year": year,
        "benefits": benefits,
        "critical_illness": critical,
        "medical_aid": _aid_rows(year, document.get("medical_aid", [])),
        "remote_care": _remote_rows(year, document.get("remote_care", [])),
    }
