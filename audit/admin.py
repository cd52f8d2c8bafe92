from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEvent, JobRun, User
from .services import audit_event_record, changed_values, snapshot


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin edits go to the audit trail like every other staff change."""

    def save_model(self, request, obj, form, change):
        old = snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        new = snapshot(obj)
        new.pop("password", None)
        old.pop("password", None)
        old_changed, new_changed = changed_values(old, new)
        audit_event_record(
            actor=request.user,
            action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
            obj=obj,
            old_values=old_changed or None,
            new_values=new_changed,
            note="admin",
        )

    def delete_model(self, request, obj):
        old = snapshot(obj)
        old.pop("password", None)
        audit_event_record(actor=request.user, action=AuditEvent.Action.DELETE, obj=obj, old_values=old, note="admin")
        super().delete_model(request, obj)


@admin.register(User)
class StaffUserAdmin(AuditedModelAdmin, UserAdmin):
    list_display = ["username", "first_name", "role", "district", "is_active", "last_login"]
    list_filter = ["role", "district", "is_active"]
    fieldsets = UserAdmin.fieldsets + (("角色与辖区", {"fields": ("role", "district")}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("角色与辖区", {"fields": ("role", "district")}),)


class ReadOnlyAdmin(admin.ModelAdmin):
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
