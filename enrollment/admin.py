"""Admin site for municipal admins: reference data, employers (import/export), read-only records."""

from django.contrib import admin
from import_export.admin import ExportMixin, ImportExportModelAdmin

from core.admin import AuditedModelAdmin, ReadOnlyAdmin
from enrollment.models import Employer, Enrollment, Person

from .resources import EmployerResource, EnrollmentExportResource, PersonExportResource


@admin.register(Employer)
class EmployerAdmin(ImportExportModelAdmin, AuditedModelAdmin):
    resource_classes = [EmployerResource]
    list_display = ["credit_code", "name", "district"]
    search_fields = ["credit_code", "name"]
    show_full_result_count = False


@admin.register(Person)
class PersonAdmin(ExportMixin, ReadOnlyAdmin):
    resource_classes = [PersonExportResource]
    list_display = ["name", "masked_id_number", "gender", "birth_year", "district"]
    list_select_related = ["district"]
    search_fields = ["=id_number", "=name"]
    exclude = ["id_number", "birth_date"]


@admin.register(Enrollment)
class EnrollmentAdmin(ExportMixin, ReadOnlyAdmin):
    resource_classes = [EnrollmentExportResource]
    list_display = ["person", "scheme", "category", "tier", "district", "start_date", "end_date", "status"]
    list_select_related = ["person", "district"]
    list_filter = ["scheme", "status"]
    raw_id_fields = ["person"]
