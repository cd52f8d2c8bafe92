"""Demo data for a laptop: employers and a few hundred people imported through the real pipeline, enrolled
from 1 Jan of the demo year (DEMO_YEAR)."""

import datetime as dt
import random

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand

from core.importing.reader import sample_csv
from core.management.commands.seed_demo_users import DEMO_YEAR
from core.models import District, ImportBatch
from enrollment.importing.columns import HEADERS
from enrollment.importing.pipeline import import_batch_confirm, import_batch_create
from enrollment.models import Employer, Person
from enrollment.validators import CREDIT_CHARS, credit_code_check_char, id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国建华志强晓东海燕"


def _credit_code(rng: random.Random, area: str) -> str:
    first17 = "91" + area + "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
    return first17 + credit_code_check_char(first17)


class Command(BaseCommand):
    help = "Load demo people (never on a production database). Does nothing if people already exist."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=400)

    def handle(self, *args, **opts):
        if Person.objects.exists():
            self.stdout.write("people already present: demo data not loaded again")
            return
        rng = random.Random(DEMO_YEAR)  # noqa: S311 (demo data, not secrets)
        start = dt.date(DEMO_YEAR, 1, 1)  # every demo enrollment covers the whole demo year
        districts = {d.code: d for d in District.objects.filter(code__in=["500103", "500105"])}
        employers = [
            Employer.objects.create(credit_code=_credit_code(rng, code), name=name, district=districts[code])
            for code, name in [("500103", "重庆解放碑商贸有限公司"), ("500105", "重庆观音桥科技有限公司")]
        ]
        rows, seen = [], set()
        while len(rows) < opts["people"]:
            code = rng.choice(list(districts))
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 70))
            first17 = f"{code}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            if first17 in seen:
                continue
            seen.add(first17)
            id_number = first17 + id_check_char(first17)
            age = (start - birth).days // 365
            gender = "男" if int(id_number[16]) % 2 else "女"
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            if 18 <= age < 60 and rng.random() < 0.35:
                employer = rng.choice(employers).credit_code
                row = ["职工医保", "在职", "", employer, f"{rng.randrange(4000, 20000)}.00"]
            elif age >= 60 and rng.random() < 0.3:
                row = ["职工医保", "退休", "", "", f"{rng.randrange(3000, 8000)}.00"]
            else:
                category = "未成年人" if age < 18 else "成年居民"
                row = ["居民医保", category, rng.choice(["一档", "二档"]), "", ""]
            rows.append([name, id_number, gender, birth.isoformat(), code, *row[:2], row[2], phone, *row[3:]])
        content = sample_csv(list(HEADERS), rows)
        batch = import_batch_create(
            actor=None,
            fileobj=ContentFile(content, name="demo.csv"),
            original_name="演示名单.csv",
            district_id=None,
            mode=ImportBatch.Mode.ATOMIC,
            effective_date=start,
            inline=True,
        )
        batch.refresh_from_db()
        import_batch_confirm(actor=None, batch=batch, inline=True)
        batch.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"demo: {batch.counts.get('created_enrollments')} enrollments"))
