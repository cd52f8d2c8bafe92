"""make run: one demo user of every role. This module also holds the demo's constants, read by every
seed_demo_* command (core is the floor, so each app's seed may import it)."""

from django.core.management.base import BaseCommand

from core.models import District, User
from core.roles import Role
from core.services import staff_user_create

DEMO_PASSWORD = "Yibao-demo-2026"
# The demo's coverage year: the year of the policy seeds (渝医保发〔2022〕25号 gives the 2023 contribution
# standards, benefit policy and aid policy), so coverage_year_default() offers it and every page has data
# for it. Demo enrollments start on 1 Jan of it; bills, payments, settlements and suspicions fall in it
# (resident contributions are paid in the collection period before it, or late in its first quarter).
DEMO_YEAR = 2023
DEMO_USERS = [
    ("clerk_yuzhong", Role.DISTRICT_CLERK, "500103", "渝中区经办员"),
    ("reviewer_yuzhong", Role.DISTRICT_REVIEWER, "500103", "渝中区审核员"),
    ("clerk_jiangbei", Role.DISTRICT_CLERK, "500105", "江北区经办员"),
    ("reviewer_jiangbei", Role.DISTRICT_REVIEWER, "500105", "江北区审核员"),
    ("admin_city", Role.MUNICIPAL_ADMIN, None, "市级管理员"),
    ("supervisor_city", Role.FUND_SUPERVISOR, None, "市基金监管员"),
    ("auditor_city", Role.AUDITOR, None, "市只读审计员"),
]


class Command(BaseCommand):
    help = "Create one demo user of every role (demo data only; never on a production database)."

    def handle(self, *args, **options) -> None:
        districts = dict(District.objects.values_list("code", "id"))
        self.stdout.write(f"{'username':<20} {'role':<18} {'district':<8} password")
        for username, role, code, name in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                staff_user_create(
                    actor=None,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    district_id=districts[code] if code else None,
                    full_name=name,
                )
            self.stdout.write(f"{username:<20} {role:<18} {code or '全市':<8} {DEMO_PASSWORD}")
