from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateField
from core.models import AuditEvent, District


class AuditEventFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("全部"))] + list(AuditEvent.Action.choices)
    )
    actor = forms.CharField(label=_("操作人账号"), required=False, max_length=150)
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=60)  # a select on the page
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    district = forms.ModelChoiceField(
        label=_("区县"),
        required=False,
        queryset=District.objects.order_by("code"),
        to_field_name="code",
        empty_label=_("全市"),
        error_messages={"invalid_choice": _("区县代码不存在")},
    )  # city-wide users only; removed from the form for district users
    date_from = DateField(label=_("起始日期"), required=False)
    date_to = DateField(label=_("截止日期"), required=False)

    def __init__(self, *args, user=None, object_types=None, **kwargs):
        """`object_types`: (value, label) pairs of the types present in the trail, for the page's select;
        without them (the API) the type is the code itself, e.g. benefits.settlement."""
        super().__init__(*args, **kwargs)
        if object_types is not None:
            self.fields["object_type"] = forms.ChoiceField(
                label=_("对象类型"),
                required=False,
                choices=[("", _("全部")), *object_types],
                error_messages={"invalid_choice": _("没有这种对象类型的记录")},
            )
        if user is not None and not user.is_city_wide:
            del self.fields["district"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data
