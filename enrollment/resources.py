"""django-import-export resources for the admin site (small files; city-scale lists use the staged import).

Imports go through the same checks as every other path, and every row written is audited.
Exports never carry a full ID number, and no cell starts a formula (core.export.cell_inert).
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources

from core.export import cell_inert
from core.models import AuditEvent, District
from core.services import audit_event_record, snapshot
from enrollment.models import Employer, Enrollment, Person

from .validators import InvalidValue, validate_credit_code


class InertExportResource(resources.ModelResource):
    """Every exported cell that would start a formula (= + - @) in Excel is written as text."""

    def export_field(self, field, instance, **kwargs):
        return cell_inert(super().export_field(field, instance, **kwargs))


class WholeFileImportResource(InertExportResource):
    """Imports the whole file or nothing: one bad row leaves the table untouched, as in the staged import."""

    def import_data(self, dataset, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)


class EmployerResource(WholeFileImportResource):
    credit_code = fields.Field(attribute="credit_code", column_name="统一社会信用代码")
    name = fields.Field(attribute="name", column_name="单位名称")
    district_code = fields.Field(attribute="district__code", column_name="区县代码", readonly=True)

    class Meta:
        model = Employer
        fields = ("credit_code", "name", "district_code")
        import_id_fields = ("credit_code",)
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import_row(self, row, **kwargs):
        try:
            row["统一社会信用代码"] = validate_credit_code(row.get("统一社会信用代码") or "")
        except InvalidValue as exc:
            raise ValidationError({"统一社会信用代码": str(exc)}) from None
        code = str(row.get("区县代码") or "").strip()
        district = District.objects.filter(code=code).first()
        if district is None:
            raise ValidationError({"区县代码": f"区县代码不存在：{code}"})
        row["_district_id"] = district.pk

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.district_id = row["_district_id"]

    def after_save_instance(self, instance, row, **kwargs):
        if not self._is_dry_run(kwargs):
            audit_event_record(
                actor=kwargs.get("user"),
                action=AuditEvent.Action.IMPORT,
                obj=instance,
                new_values=snapshot(instance),
                note="管理后台导入",
            )


class PersonExportResource(InertExportResource):
    id_number = fields.Field(attribute="masked_id_number", column_name="身份证号（脱敏）")
    name = fields.Field(attribute="name", column_name="姓名")
    gender = fields.Field(attribute="get_gender_display", column_name="性别")
    birth_year = fields.Field(attribute="birth_year", column_name="出生年份")
    district = fields.Field(attribute="district__code", column_name="区县代码")

    class Meta:
        model = Person
        fields = ("id_number", "name", "gender", "birth_year", "district")


class EnrollmentExportResource(InertExportResource):
    person = fields.Field(attribute="person__masked_id_number", column_name="身份证号（脱敏）")
    scheme = fields.Field(attribute="get_scheme_display", column_name="险种")
    category = fields.Field(attribute="get_category_display", column_name="人员类别")
    tier = fields.Field(attribute="tier", column_name="档次")
    district = fields.Field(attribute="district__code", column_name="区县代码")
    start_date = fields.Field(attribute="start_date", column_name="参保开始日期")
    end_date = fields.Field(attribute="end_date", column_name="参保终止日期")
    status = fields.Field(attribute="get_status_display", column_name="状态")

    class Meta:
        model = Enrollment
        fields = ("person", "scheme", "category", "tier", "district", "start_date", "end_date", "status")
