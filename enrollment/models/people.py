from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel

from ..validators import mask_id_number


class Scheme(models.TextChoices):
    EMPLOYEE = "employee", _("职工医保")
    RESIDENT = "resident", _("居民医保")


class Category(models.TextChoices):
    ACTIVE = "active", _("在职")
    RETIRED = "retired", _("退休")
    FLEXIBLE = "flexible", _("灵活就业")
    ADULT = "adult", _("成年居民")
    MINOR = "minor", _("未成年人")
    STUDENT = "student", _("在校大学生")


SCHEME_CATEGORIES = {
    Scheme.EMPLOYEE: (Category.ACTIVE, Category.RETIRED, Category.FLEXIBLE),
    Scheme.RESIDENT: (Category.ADULT, Category.MINOR, Category.STUDENT),
}


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Person(TimeStampedModel):
    """参保人: one row per human, keyed by the 18-character id_number."""

    # The masked number hides exactly the birth date; showing the date beside it would undo the mask.
    AUDIT_MASKED = {"id_number": mask_id_number, "birth_date": lambda d: d.year if d else None}

    # Unique through the pattern-ops constraint below: one index serves both = and LIKE 'prefix%'.
    id_number = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # The district that manages the person now; follows transfers. Indexed by person_district_idx.
    district = models.ForeignKey(
        District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    death_date = models.DateField(_("死亡日期"), null=True, blank=True)
    # What the death was recorded from (死亡医学证明编号, 户籍注销证明, 火化证明 ...): it stops the benefits.
    # The database default too: the bulk enrollee import writes people with its own INSERT.
    death_source_document = models.CharField(_("死亡证明材料"), max_length=200, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("参保人")
        verbose_name_plural = _("参保人")
        # Every index costs time on a million-row import: keep only the ones searches use.
        indexes = [
            models.Index(fields=["name", "id"], name="person_name_idx"),
            models.Index(fields=["district", "-id"], name="person_district_idx"),
            # ID-prefix search lists in ID-number order, city-wide and in one district: a range scan in the
            # list's order that stops after one page. The pattern-ops index above finds a prefix but cannot
            # give the order (ORDER BY uses the collation's operators, which these default-opclass ones have).
            models.Index(fields=["id_number"], name="person_id_number_order_idx"),
            models.Index(fields=["district", "id_number"], name="person_district_id_number_idx"),
            # A district's exact-name search, newest first (city-wide it walks person_name_idx).
            models.Index(fields=["district", "name", "-id"], name="person_district_name_idx"),
        ]
        constraints = [
            # Prefix search (LIKE '500103%') on PostgreSQL needs the pattern operator class.
            models.UniqueConstraint(
                fields=["id_number"], name="person_id_number_unique", opclasses=["varchar_pattern_ops"]
            ),
            # The full GB 11643 check runs in the application; the database keeps the cheap part
            # (a regular expression here costs 4 s per million imported rows).
            models.CheckConstraint(condition=Exact(Length("id_number"), 18), name="person_id_shape"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def birth_year(self) -> int:
        return self.birth_date.year


class Employer(TimeStampedModel):
    """参保单位, keyed by its 统一社会信用代码."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位名称"), max_length=200)
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("参保单位")
        verbose_name_plural = _("参保单位")
        indexes = [models.Index(fields=["district", "-id"], name="employer_district_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"


class Enrollment(TimeStampedModel):
    """参保登记: one person in one scheme over a period."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("参保")
        SUSPENDED = "suspended", _("暂停")
        TERMINATED = "terminated", _("终止")

    class EndReason(models.TextChoices):
        TRANSFERRED = "transferred", _("转移接续")
        MOVED_AWAY = "moved_away", _("迁出本市")
        CHANGED_SCHEME = "changed_scheme", _("变更险种")
        DECEASED = "deceased", _("死亡")
        DUPLICATE = "duplicate", _("重复参保清理")
        GRADUATED = "graduated", _("毕业")
        OTHER = "other", _("其他")

    # FK indexes are covered by enrollment_person_idx and enrollment_scope_idx.
    person = models.ForeignKey(
        Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    category = models.CharField(_("人员类别"), max_length=10, choices=Category.choices)
    tier = models.PositiveSmallIntegerField(_("档次"), null=True, blank=True)
    district = models.ForeignKey(
        District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    employer = models.ForeignKey(
        Employer,
        verbose_name=_("参保单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    contribution_base = models.DecimalField(_("缴费基数"), max_digits=12, decimal_places=2, null=True, blank=True)
    start_date = models.DateField(_("参保开始日期"))
    end_date = models.DateField(_("参保终止日期"), null=True, blank=True)
    # Students only: in the graduation year the benefit period runs to 31 Dec instead of 31 Aug.
    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    end_reason = models.CharField(_("终止原因"), max_length=20, choices=EndReason.choices, blank=True)
    # Provenance only: batches are never deleted, so no database constraint (it would cost a
    # lookup per imported row) and no index (nothing searches by it).
    import_batch = models.ForeignKey(
        "core.ImportBatch",
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("参保登记")
        verbose_name_plural = _("参保登记")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["district", "status", "scheme"], name="enrollment_scope_idx"),
            models.Index(fields=["person", "-start_date"], name="enrollment_person_idx"),
            models.Index(
                fields=["employer"], name="enrollment_employer_idx", condition=models.Q(employer__isnull=False)
            ),
            # The enrollment list, newest first, per filter it offers, in one district and city-wide: LIMIT
            # stops after one page instead of walking the primary key past every other row.
            models.Index(fields=["district", "-id"], name="enrollment_district_idx"),
            models.Index(fields=["district", "status", "-id"], name="enrollment_dist_status_idx"),
            models.Index(fields=["district", "scheme", "-id"], name="enrollment_dist_scheme_idx"),
            models.Index(fields=["district", "category", "-id"], name="enrollment_dist_category_idx"),
            models.Index(fields=["status", "-id"], name="enrollment_status_idx"),
            models.Index(fields=["scheme", "-id"], name="enrollment_scheme_idx"),
            models.Index(fields=["category", "-id"], name="enrollment_category_idx"),
        ]
        constraints = [
            # 重复参保: never two active enrollments for one person, whatever the code path.
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="active"), name="one_active_enrollment_per_person"
            ),
            models.CheckConstraint(
                condition=models.Q(scheme="resident", tier__in=[1, 2], category__in=["adult", "minor", "student"])
                | models.Q(scheme="employee", tier__isnull=True, category__in=["active", "retired", "flexible"]),
                name="enrollment_scheme_category_tier",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="enrollment_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(contribution_base__isnull=True) | models.Q(contribution_base__gt=0),
                name="enrollment_base_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(end_date__isnull=True),
                name="active_enrollment_is_open",
            ),
            models.CheckConstraint(
                condition=models.Q(graduation_year__isnull=True) | models.Q(category="student"),
                name="graduation_year_students_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.get_category_display()} {self.start_date}"

    @property
    def tier_label(self) -> str:
        return {1: _("一档"), 2: _("二档")}.get(self.tier, "—")


class Transfer(models.Model):
    """转移接续: the old enrollment ends the day before the new one starts."""

    person = models.ForeignKey(Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="transfers")
    from_enrollment = models.OneToOneField(
        Enrollment, verbose_name=_("原参保登记"), on_delete=models.PROTECT, related_name="transfer_out"
    )
    to_enrollment = models.OneToOneField(
        Enrollment, verbose_name=_("新参保登记"), on_delete=models.PROTECT, related_name="transfer_in"
    )
    from_district = models.ForeignKey(District, verbose_name=_("转出区县"), on_delete=models.PROTECT, related_name="+")
    to_district = models.ForeignKey(District, verbose_name=_("转入区县"), on_delete=models.PROTECT, related_name="+")
    transfer_date = models.DateField(_("转入日期"))
    created_at = models.DateTimeField(_("办理时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("转移接续")
        verbose_name_plural = _("转移接续")

    def __str__(self) -> str:
        return f"{self.from_district_id} → {self.to_district_id} {self.transfer_date}"
