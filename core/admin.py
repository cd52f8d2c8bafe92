from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEvent, District, ImportBatch, JobRun, User
from .roles import Role
from .services import audit_event_record, changed_values, snapshot


def admin_site_allowed(request) -> bool:
    """Who reaches /admin/: active municipal admins, and superusers (made only with `createsuperuser` on
    the command line). The is_staff flag alone opens nothing: the admin is not district-scoped, so a
    district clerk must not see it even if someone set the flag."""
    user = request.user
    return bool(user.is_active and user.is_authenticated and (user.is_superuser or user.role == Role.MUNICIPAL_ADMIN))


admin.site.has_permission = admin_site_allowed


def _snapshot_without_secrets(obj) -> dict:
    """Field values for the trail, less the password hash and the bookkeeping timestamp."""
    values = snapshot(obj)
    values.pop("password", None)
    values.pop("updated_at", None)
    if obj._meta.app_label == "authtoken":
        values.pop("key", None)  # an institution's API token is a password too
    return values


class ShownRelationsMixin:
    """Lists join only the foreign keys they show.

    Django's default, when list_display shows any foreign key, is select_related() over every non-null
    foreign key, recursively: an 11-table join for settlements. On small tables that have not been
    analysed yet, PostgreSQL may then plan the district joins as a cross product; a CI run waited over
    an hour on one such list page."""

    def get_list_select_related(self, request):
        if self.list_select_related is not False:  # the admin chose
            return self.list_select_related
        shown = set(self.get_list_display(request))
        return [f.name for f in self.model._meta.concrete_fields if f.many_to_one and f.name in shown]


class AuditedAdminMixin(ShownRelationsMixin):
    """Admin edits go to the audit trail like every other staff change: single saves and deletes,
    bulk deletes, many-to-many changes and password resets."""

    def save_model(self, request, obj, form, change):
        old = _snapshot_without_secrets(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        old_changed, new_changed = changed_values(old, _snapshot_without_secrets(obj))
        audit_event_record(
            actor=request.user,
            action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
            obj=obj,
            old_values=old_changed or None,
            new_values=new_changed,
            note="admin",
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        m2m = [f.name for f in form.instance._meta.many_to_many if f.name in form.changed_data]
        if m2m:
            audit_event_record(
                actor=request.user,
                action=AuditEvent.Action.UPDATE,
                obj=form.instance,
                new_values={name: sorted(getattr(form.instance, name).values_list("pk", flat=True)) for name in m2m},
                note="admin: many-to-many",
            )

    def delete_model(self, request, obj):
        audit_event_record(
            actor=request.user, action=AuditEvent.Action.DELETE, obj=obj, old_values=_snapshot_without_secrets(obj),
            note="admin",
        )  # fmt: skip
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # admin bulk deletes are a page of rows at most
            audit_event_record(
                actor=request.user, action=AuditEvent.Action.DELETE, obj=obj,
                old_values=_snapshot_without_secrets(obj), note="admin: bulk delete",
            )  # fmt: skip
        super().delete_queryset(request, queryset)


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


@admin.register(User)
class StaffUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ["username", "first_name", "role", "district", "is_active", "last_login"]
    list_filter = ["role", "district", "is_active"]
    fieldsets = UserAdmin.fieldsets + (("角色与辖区", {"fields": ("role", "district", "institution")}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("角色与辖区", {"fields": ("role", "district")}),)
    # Flags that open the admin or every permission: only a superuser (made on the command line) sets them.
    PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [name for name in self.PRIVILEGE_FIELDS if name not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        # is_staff follows the role (the admin site itself checks the role): a municipal admin has it.
        if not request.user.is_superuser and not obj.is_superuser:
            obj.is_staff = obj.role == Role.MUNICIPAL_ADMIN
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            audit_event_record(actor=request.user, action=AuditEvent.Action.UPDATE, obj=user, note="admin: 重置密码")
        return response


class ReadOnlyAdmin(ShownRelationsMixin, admin.ModelAdmin):
    """Records that change only through services (checks + audit), or never: viewable, not editable."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor_username", "action", "object_type", "object_repr", "district", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "started_by", "created_at", "finished_at", "done", "total"]
    list_filter = ["kind", "status"]


def audit_third_party_admins() -> None:
    """Re-register the admin pages of installed apps (groups, celery-beat schedules, axes lockouts)
    with the audited mixin. Bulk actions that bypass save() (beat's enable/disable/run) are removed:
    admins change a schedule one at a time, through the audited form."""
    for model, model_admin in list(admin.site._registry.items()):
        if isinstance(model_admin, AuditedAdminMixin | ReadOnlyAdmin):
            continue
        base = type(model_admin)
        audited = type(f"Audited{base.__name__}", (AuditedAdminMixin, base), {})
        if model._meta.app_label == "django_celery_beat":
            audited.actions = ["delete_selected"]
        admin.site.unregister(model)
        admin.site.register(model, audited)


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "original_name", "status", "total_rows", "valid_rows", "error_rows", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(District)
class DistrictAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "gb2260"]
    search_fields = ["code", "name"]
