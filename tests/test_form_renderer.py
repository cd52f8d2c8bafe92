"""The selects and inputs the project's form renderer writes in Python are the ones Django's templates write."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from audit.forms import AuditEventFilterForm
from core.form_renderer import FormRenderer

pytestmark = pytest.mark.django_db


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "全部"), ("a", "甲 & <乙>"), ("b", 'say "b"')], required=False)
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("组一", [("1", "one"), ("2", "two")]), ("3", "three")],
        widget=forms.Select(attrs={"aria-describedby": "x-hint", "data-on": True, "data-off": False}),
    )
    many = forms.MultipleChoiceField(choices=[(1, "一"), (2, "二"), (3, "三")], required=False)
    number = forms.TypedChoiceField(choices=[(1000, 1000), (2, "two")], coerce=int)


def rendered(form: forms.Form, renderer) -> list[str]:
    form.renderer = renderer
    return [str(form[name]) for name in form.fields]


@pytest.mark.parametrize(
    "data",
    [None, {"plain": "a", "grouped": "2", "many": ["1", "3"], "number": "1000"}, {"grouped": "nope", "many": ["9"]}],
)
def test_selects_are_the_html_django_writes(data):
    ours, django = rendered(Everything(data), FormRenderer()), rendered(Everything(data), DjangoTemplates())
    assert ours == django
    assert any("<optgroup" in html for html in ours) and any(" multiple" in html for html in ours)
    if data and data.get("plain") == "a":
        assert '<option value="a" selected>甲 &amp; &lt;乙&gt;</option>' in ours[0]


def test_the_audit_filter_form_is_the_html_django_writes(municipal_admin):
    user = municipal_admin
    types = [("benefits.settlement", "医保结算"), ("core.user", "用户")]
    data = {"action": "create", "object_type": "core.user", "district": "500103"}
    ours = rendered(AuditEventFilterForm(data, user=user, object_types=types), FormRenderer())
    django = rendered(AuditEventFilterForm(data, user=user, object_types=types), DjangoTemplates())
    assert ours == django and len(ours) == 7
    assert '<option value="create" selected>' in ours[0]


class Inputs(forms.Form):
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": '甲 & "乙"', "data-x": True}))
    empty = forms.CharField(required=False, widget=forms.TextInput(attrs={"data-off": False}))
    day = forms.DateField(required=False)
    number = forms.IntegerField(required=False, min_value=0)
    decimal = forms.DecimalField(required=False, max_digits=12, decimal_places=2)
    mail = forms.EmailField(required=False)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    box = forms.BooleanField(required=False)
    when = forms.DateTimeField(required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": "<b>x</b> & 'y'", "empty": "", "day": "2023-01-31", "number": "-1", "decimal": "1.005",
         "mail": "a@b.cn", "secret": "p\"w", "hidden": "h", "box": "on", "when": "2023-01-31 08:00"},
        {"day": "not a day", "number": "1e9", "decimal": "abc", "mail": "x", "when": "soon"},
    ],
)  # fmt: skip
def test_inputs_are_the_html_django_writes(data):
    ours, django = rendered(Inputs(data), FormRenderer()), rendered(Inputs(data), DjangoTemplates())
    assert ours == django
    assert all(html.startswith("<input ") for html in ours)
    if data and data.get("text"):
        assert 'value="&lt;b&gt;x&lt;/b&gt; &amp; &#x27;y&#x27;"' in ours[0]
