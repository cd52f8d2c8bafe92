"""Demo data for a laptop: institutions, an institution API account, chronic registrations, account
credits and a year of settlements for the demo people, all through the real services."""

import calendar
import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand

from assistance.alerts import high_cost_alerts_scan
from assistance.models import AidRecipient
from benefits.models import ChronicDisease, Institution, Settlement
from benefits.services import (
    SettlementRequest,
    account_credits_post,
    chronic_registration_create,
    institution_register,
    settlement_create,
    settlement_reverse,
)
from contributions.models import ContributionBill
from core.demo_clock import demo_clock
from core.management.commands.seed_demo_users import DEMO_YEAR
from core.models import District
from enrollment.models import Enrollment

INSTITUTIONS = [
    ("500103", "hospital", 3, "重庆市第一人民医院（演示）"),
    ("500103", "hospital", 2, "渝中区人民医院（演示）"),
    ("500103", "hospital", 1, "解放碑社区卫生服务中心（演示）"),
    ("500103", "pharmacy", None, "渝中大药房（演示）"),
    ("500105", "hospital", 2, "江北区人民医院（演示）"),
    ("500105", "pharmacy", None, "观音桥药房（演示）"),
]


class Command(BaseCommand):
    help = "Load demo institutions and settlements (never on a production database). Runs once."

    def handle(self, *args, **opts):
        if Institution.objects.exists():
            self.stdout.write("institutions already present: demo benefits not loaded again")
            return
        year = DEMO_YEAR
        rng = random.Random(year)  # noqa: S311 (demo data, not secrets)
        districts = {d.code: d for d in District.objects.filter(code__in=["500103", "500105"])}
        institutions = [
            institution_register(
                actor=None,
                name=name,
                kind=kind,
                level=level,
                district_id=districts[code].pk,
                agreement_start=dt.date(2020, 1, 1),
            )  # fmt: skip
            for code, kind, level, name in INSTITUTIONS
        ]
        call_command("institution_api_account", institutions[1].code, stdout=self.stdout)
        for month in range(1, 13):  # the demo year is over: every month's credit is made, on its last day
            with demo_clock(dt.date(year, month, calendar.monthrange(year, month)[1]), hour=20):
                account_credits_post(actor=None, year=year, month=month)

        # Residents who paid for the year, and every employee, can use their benefits.
        paid = set(
            ContributionBill.objects.filter(coverage_year=year, status="paid").values_list("person_id", flat=True)
        )
        enrollments = [
            e
            for e in Enrollment.objects.filter(status="active").select_related("person").order_by("id")
            if e.scheme == "employee" or e.person_id in paid
        ]
        # A few aid recipients among the paying residents: their settlements get the tilt and the aid.
        aided = [e for e in enrollments if e.scheme == "resident"][:12]
        for i, e in enumerate(aided):
            AidRecipient.objects.get_or_create(
                person=e.person, category=["destitute", "subsistence", "relapsed_poor", "monitored"][i % 4],
                valid_from=dt.date(year - 1, 1, 1), defaults={"source": "civil_affairs", "district_id": e.district_id},
            )  # fmt: skip
        # A 门诊慢特病 of the catalogue; 高血压 (MT001) is 两病门诊用药保障, not a 门诊慢特病 (渝医保发〔2022〕25号).
        chronic_disease = ChronicDisease.objects.get(code="MT007")
        retirees = [e for e in enrollments if e.category == "retired"][:5]
        for e in retirees:
            chronic_registration_create(
                actor=None, person=e.person, disease_code=chronic_disease.code, valid_from=dt.date(year, 1, 1)
            )
        settled = 0
        for n, e in enumerate(enrollments[:80]):
            local = [i for i in institutions if i.district_id == e.district_id]
            kind = rng.choice(
                ["outpatient", "outpatient", "pharmacy", "inpatient"] + (["chronic"] if e in retirees else [])
            )
            institution = next(i for i in local if (i.kind == "pharmacy") == (kind == "pharmacy"))
            day = dt.date(year, 1, 10) + dt.timedelta(days=rng.randrange(330))  # through the year
            if kind == "inpatient":
                total = Decimal(rng.randrange(3000, 60000))
            else:
                total = Decimal(rng.randrange(5000, 60000)) / 100
            eligible = (total * Decimal("0.85")).quantize(Decimal("0.01"))
            request = SettlementRequest(
                settlement_number=f"DEMO{n:05d}",
                id_number=e.person.id_number,
                benefit_type=kind,
                service_date=day,
                discharge_date=day + dt.timedelta(days=rng.randrange(2, 12)) if kind == "inpatient" else None,
                total_cost=total,
                eligible_cost=eligible,
                chronic_disease_code=chronic_disease.code if kind == "chronic" else "",
            )
            try:
                with demo_clock(request.discharge_date or day):
                    settlement, _ = settlement_create(actor=None, institution=institution, request=request)
            except ValidationError as exc:  # e.g. an inpatient level the policy does not list
                self.stdout.write(f"skipped {request.settlement_number}: {'; '.join(exc.messages)}")
                continue
            settled += 1
            if n == 7:
                with demo_clock(request.discharge_date or day, hour=17):
                    settlement_reverse(actor=None, settlement=settlement, reason="演示：机构重复上传后冲正")
        # One institution uploads a visit twice under two numbers: the 重复结算 rule finds it.
        first = Settlement.objects.filter(status="settled", benefit_type="outpatient").order_by("id").first()
        if first is not None:
            repeat = SettlementRequest(
                settlement_number=f"{first.settlement_number}-2", id_number=first.person.id_number,
                benefit_type=first.benefit_type, service_date=first.service_date,
                total_cost=first.total_cost, eligible_cost=first.eligible_cost,
            )  # fmt: skip
            with demo_clock(first.service_date, hour=17):
                settlement_create(actor=None, institution=first.institution, request=repeat)
        settled += self._suspicious_patterns(year=year, enrollments=enrollments, institutions=institutions)
        alerts = high_cost_alerts_scan(actor=None, year=year)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {len(institutions)} institutions, {settled} settlements, {len(aided)} aid recipients, "
                f"{alerts['written']} alerts"
            )
        )

    def _suspicious_patterns(self, *, year: int, enrollments: list, institutions: list) -> int:
        """Two more patterns the fraud rules look for, so 疑点筛查 shows more than one kind:
        a readmission at the same hospital days after discharge (分解住院), and an employee's personal
        account spent at a pharmacy nine times in four weeks (门诊套现)."""
        made = 0
        stay = Settlement.objects.filter(status="settled", benefit_type="inpatient").order_by("id").first()
        requests = []
        if stay is not None and stay.discharge_date:
            readmitted = stay.discharge_date + dt.timedelta(days=5)
            requests.append((stay.institution, SettlementRequest(
                settlement_number=f"{stay.settlement_number}-R", id_number=stay.person.id_number,
                benefit_type="inpatient", service_date=readmitted, discharge_date=readmitted + dt.timedelta(days=6),
                total_cost=Decimal("8600.00"), eligible_cost=Decimal("7300.00"),
            )))  # fmt: skip
        # one who has not used the account yet (the first 80 above may have spent it)
        buyer = next((e for e in enrollments[80:] if e.category == "active"), None)
        pharmacy = next(
            (i for i in institutions if i.kind == "pharmacy" and buyer and i.district_id == buyer.district_id), None
        )
        if buyer is not None and pharmacy is not None:
            for n in range(9):
                requests.append((pharmacy, SettlementRequest(
                    settlement_number=f"DEMO-PH{n:03d}", id_number=buyer.person.id_number, benefit_type="pharmacy",
                    service_date=dt.date(year, 9, 2) + dt.timedelta(days=3 * n),
                    total_cost=Decimal("96.00"), eligible_cost=Decimal("96.00"),
                )))  # fmt: skip
        for institution, request in requests:
            try:
                with demo_clock(request.discharge_date or request.service_date):
                    settlement_create(actor=None, institution=institution, request=request)
            except ValidationError as exc:
                self.stdout.write(f"skipped {request.settlement_number}: {'; '.join(exc.messages)}")
                continue
            made += 1
        return made
