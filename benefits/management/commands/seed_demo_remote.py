"""Demo 异地就医 for a laptop, through the real services: filings of every kind (one revoked), our insured's
direct settlements elsewhere sent by a platform account, out-of-area 零星报销, patients of other areas at
our hospitals, and the demo year's monthly clearing (paid, confirmed and still a draft). Never on a
production database. Runs once; after seed_demo_benefits (it uses its institutions and their API account)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand

from benefits.models import Clearing, RemoteCareFiling, Settlement
from benefits.remote_selectors import remote_care_rule
from benefits.services import SettlementRequest, settlement_manual_elsewhere
from benefits.services.clearing import clearing_confirm, clearing_generate, clearing_pay
from benefits.services.remote_filings import filing_create, filing_revoke
from benefits.services.remote_settlements import (
    InboundMessage,
    InboundTerms,
    OutboundMessage,
    inbound_settle,
    outbound_settle,
)
from contributions.models import ContributionBill
from core.demo_clock import demo_clock
from core.management.commands.seed_demo_users import DEMO_YEAR
from core.models import User
from core.roles import Role
from enrollment.models import Enrollment
from enrollment.validators import id_check_char

# (filing type, destination, first day (month, day)) for the first five insured picked below.
FILINGS = [
    ("retired_elsewhere", "510000", (1, 6)),
    ("living_elsewhere", "440300", (2, 1)),
    ("other_temporary", "110000", (4, 1)),
    ("referral", "310000", (6, 10)),
    ("working_elsewhere", "330100", (1, 16)),
]
# Hospitals elsewhere by their national codes (H + area + sequence).
ELSEWHERE = {
    "510000": ("H51010700031", "四川大学华西医院（演示）", 3),
    "440300": ("H44030400112", "深圳市人民医院（演示）", 3),
    "110000": ("H11010200007", "北京协和医院（演示）", 3),
    "310000": ("H31010400015", "复旦大学附属中山医院（演示）", 3),
    "330100": ("H33010600020", "浙江大学医学院附属第一医院（演示）", 3),
    "420000": ("H42010200009", "武汉协和医院（演示）", 3),
}
# Patients insured elsewhere treated at our demo hospital: (area, name, scheme, month, total, ratio).
INBOUND = [
    ("510000", "李建国", "employee", 2, "8600.00", "0.85"),
    ("510000", "王秀英", "resident", 3, "12400.00", "0.60"),
    ("110000", "张伟", "employee", 5, "5300.00", "0.90"),
    ("440300", "刘洋", "employee", 6, "21800.00", "0.85"),
    ("420000", "陈静", "resident", 8, "9100.00", "0.65"),
    ("510000", "杨帆", "resident", 9, "4600.00", "0.60"),
    ("330100", "赵磊", "employee", 10, "15200.00", "0.88"),
    ("110000", "黄敏", "resident", 11, "7700.00", "0.55"),
]


def _id_number(area: str, n: int) -> str:
    first17 = f"{area}1975{(n % 12) + 1:02d}{(n % 27) + 1:02d}{n:03d}"
    return first17 + id_check_char(first17)


class Command(BaseCommand):
    help = "Load demo 异地就医 (never on a production database). Runs once."

    def handle(self, *args, **opts):
        if RemoteCareFiling.objects.exists():
            self.stdout.write("异地就医备案 already present: demo 异地就医 not loaded again")
            return
        year = DEMO_YEAR
        paid = set(
            ContributionBill.objects.filter(coverage_year=year, status="paid").values_list("person_id", flat=True)
        )
        # Insured who have not settled anything yet, so their accumulators start clean.
        used = set(Settlement.objects.values_list("person_id", flat=True))
        insured = [
            e
            for e in Enrollment.objects.filter(status="active").select_related("person").order_by("-id")
            if (e.scheme == "employee" or e.person_id in paid) and e.person_id not in used
        ][:7]
        if len(insured) < 7:
            self.stdout.write("not enough demo insured: demo 异地就医 not loaded")
            return
        filings = self._filings(year=year, insured=insured[:5])
        settled = self._outbound(year=year, insured=insured, filings=filings)
        inbound = self._inbound(year=year)
        cleared = self._clearing(year=year)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo 异地就医: {len(filings)} filings, {settled} settlements elsewhere, {inbound} inbound, "
                f"{cleared} clearing statements"
            )
        )

    def _filings(self, *, year: int, insured: list) -> list[RemoteCareFiling]:
        made = []
        for e, (kind, area, (month, day)) in zip(insured, FILINGS, strict=True):
            start = dt.date(year, month, day)
            with demo_clock(start, hour=10):
                rule = remote_care_rule(year=year, filing_type=kind)
                made.append(
                    filing_create(
                        actor=None, person=e.person, filing_type=kind, destination_code=area, valid_from=start,
                        documents_checked=list(rule.required_documents), channel=RemoteCareFiling.Channel.COUNTER,
                        note="演示",
                    )
                )  # fmt: skip
        # 常驻异地工作 ended when the person came back (a long-term filing may end after its 6 months).
        with demo_clock(dt.date(year, 9, 20), hour=15):
            filing_revoke(actor=None, filing=made[4], reason="演示：已返回本市工作")
        return made

    def _outbound(self, *, year: int, insured: list, filings: list) -> int:
        call_command(
            "system_api_account", "--role", "remote_platform", "--username", "remote_platform_demo", stdout=self.stdout
        )
        platform = User.objects.get(username="remote_platform_demo")
        made = 0
        visits = [  # (insured index, month, day, inpatient days or 0, total)
            (0, 3, 8, 9, "18600.00"), (0, 7, 14, 0, "420.00"), (1, 4, 2, 6, "9800.00"), (1, 10, 21, 0, "360.00"),
            (2, 5, 11, 5, "7400.00"), (3, 6, 15, 12, "26800.00"), (4, 2, 20, 0, "280.00"),
        ]  # fmt: skip
        for n, (i, month, day, days, total) in enumerate(visits):
            e, filing = insured[i], filings[i]
            code, name, level = ELSEWHERE[filing.destination_code]
            start = dt.date(year, month, day)
            end = start + dt.timedelta(days=days) if days else None
            message = OutboundMessage(
                platform_number=f"YD{year}{n:06d}", care_area_code=filing.destination_code, institution_code=code,
                institution_name=name, institution_level=level, id_number=e.person.id_number, name=e.person.name,
                benefit_type="inpatient" if days else "outpatient", service_date=start, discharge_date=end,
                total_cost=Decimal(total), eligible_cost=(Decimal(total) * Decimal("0.88")).quantize(Decimal("0.01")),
            )  # fmt: skip
            made += self._try(
                message.platform_number, lambda m=message, d=end or start: self._outbound_one(platform, m, d)
            )
        # Not settled directly: an unfiled stay in 成都, a temporary filer's visit paid in cash and reimbursed at
        # home, and one stay claimed again by hand although the platform settled it (疑点: 异地直接结算与零星报销重复).
        manual = [(insured[5], "510100", "H51010400088", dt.date(year, 8, 5), 7, "12800.00"),
                  (insured[2], "110000", "H11010500021", dt.date(year, 6, 5), 7, "12800.00"),
                  (insured[3], "310000", "H31010400015", dt.date(year, 6, 15), 12, "26800.00")]  # fmt: skip
        for n, (e, area, code, start, days, total) in enumerate(manual):
            request = SettlementRequest(
                settlement_number=f"LX{year}{n:04d}", id_number=e.person.id_number, benefit_type="inpatient",
                service_date=start, discharge_date=start + dt.timedelta(days=days), total_cost=Decimal(total),
                eligible_cost=(Decimal(total) * Decimal("0.86")).quantize(Decimal("0.01")),
            )  # fmt: skip
            made += self._try(request.settlement_number, lambda r=request, a=area, c=code: self._manual_one(r, a, c))
        return made

    def _outbound_one(self, platform, message, day) -> None:
        with demo_clock(day, hour=18):
            outbound_settle(actor=platform, message=message)

    def _manual_one(self, request, area, code) -> None:
        with demo_clock(request.discharge_date + dt.timedelta(days=20), hour=11):
            settlement_manual_elsewhere(
                actor=None, request=request, care_area_code=area, institution_code=code,
                institution_name="外地医院（演示）", institution_level=2,
            )  # fmt: skip

    def _inbound(self, *, year: int) -> int:
        hospital_account = User.objects.filter(role=Role.INSTITUTION, institution__area_code="").first()
        if hospital_account is None:
            return 0
        made = 0
        for n, (area, name, scheme, month, total, ratio) in enumerate(INBOUND):
            total_cost = Decimal(total)
            start = dt.date(year, month, 12)
            message = InboundMessage(
                platform_number=f"YDIN{year}{n:05d}", insured_area_code=area, id_number=_id_number(area, n + 1),
                name=name, scheme=scheme, benefit_type="inpatient", service_date=start,
                discharge_date=start + dt.timedelta(days=6), total_cost=total_cost,
                eligible_cost=(total_cost * Decimal("0.9")).quantize(Decimal("0.01")),
                terms=InboundTerms(deductible="800.00", ratio=ratio, cap_remaining="200000.00"),
            )  # fmt: skip

            def settle(m=message):
                with demo_clock(m.discharge_date, hour=16):
                    inbound_settle(actor=hospital_account, message=m)

            made += self._try(message.platform_number, settle)
        return made

    def _clearing(self, *, year: int) -> int:
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            after = dt.date(year + (month == 12), month % 12 + 1, 5)
            with demo_clock(after, hour=2):
                clearing_generate(actor=None, month=first)
        # Up to September both sides confirmed and the money moved; October confirmed; the rest still drafts.
        for clearing in Clearing.objects.filter(month__year=year).order_by("month", "area_code"):
            if clearing.month.month <= 10:
                with demo_clock(dt.date(year + (clearing.month.month == 12), clearing.month.month % 12 + 1, 10)):
                    clearing_confirm(actor=None, clearing=clearing)
            if clearing.month.month <= 9:
                paid_on = dt.date(year, clearing.month.month + 1, 20)
                with demo_clock(paid_on, hour=15):
                    clearing_pay(actor=None, clearing=clearing, paid_on=paid_on)
        return Clearing.objects.filter(month__year=year).count()

    def _try(self, number: str, call) -> int:
        try:
            call()
        except ValidationError as exc:
            self.stdout.write(f"skipped {number}: {'; '.join(exc.messages)}")
            return 0
        return 1
