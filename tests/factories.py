"""factory_boy factories and helpers that build valid identity numbers and credit codes."""

import datetime as dt
import itertools

import factory

from core.models import District
from enrollment.models import Employer, Enrollment, Person
from enrollment.validators import CREDIT_CHARS, credit_code_check_char, id_check_char

_seq = itertools.count(1)


def make_id_number(*, area: str = "500103", birth: dt.date = dt.date(1980, 5, 17), seq: int | None = None) -> str:
    seq = next(_seq) if seq is None else seq
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def make_credit_code(n: int | None = None, area: str = "500103") -> str:
    n = next(_seq) if n is None else n
    body = ""
    for _ in range(9):
        body = CREDIT_CHARS[n % 31] + body
        n //= 31
    first17 = f"91{area}{body}"
    return first17 + credit_code_check_char(first17)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    id_number = factory.LazyFunction(lambda: make_id_number(birth=dt.date(1980, 1, 1) + dt.timedelta(days=next(_seq))))
    name = factory.Sequence(lambda n: "测试" + "".join("零一二三四五六七八九"[int(d)] for d in str(n)))
    gender = factory.LazyAttribute(lambda p: "M" if int(p.id_number[16]) % 2 else "F")
    birth_date = factory.LazyAttribute(
        lambda p: dt.date(int(p.id_number[6:10]), int(p.id_number[10:12]), int(p.id_number[12:14]))
    )
    district = factory.LazyFunction(lambda: District.objects.get(code="500103"))


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    credit_code = factory.LazyFunction(make_credit_code)
    name = factory.Sequence(lambda n: f"重庆测试有限公司{n}")
    district = factory.LazyFunction(lambda: District.objects.get(code="500103"))


class ResidentEnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    person = factory.SubFactory(PersonFactory)
    scheme = "resident"
    category = "adult"
    tier = 1
    district = factory.LazyAttribute(lambda e: e.person.district)
    start_date = dt.date(2023, 1, 1)
