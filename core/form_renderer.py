"""Django's form renderer, except that a <select> and an <input> are written here in Python.

Django renders a select through its template engine: one include per option and another for each option's
attributes. The audit trail's filter form has three selects with about 120 options between them (actions,
object types, districts), and rendering them took a fifth of the page's time; its four inputs, through three
templates each, took as long again. The HTML written here is the one Django's templates write
(`tests/test_form_renderer.py` compares the two, option for option and input for input)."""

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
# Django's widget templates that are one include of input.html and nothing else.
INPUTS = {
    f"django/forms/widgets/{name}.html"
    for name in ("checkbox", "color", "date", "datetime", "email", "hidden", "number", "password", "search", "tel")
    + ("text", "time", "url")
}


def _text(value: Any) -> str:
    return str(conditional_escape(str(value)))


def _attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html writes them: False left out, True as the bare name."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict[str, Any]) -> str:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        out.extend(
            # (Django's option template ends with a line break, kept so that the HTML is byte for byte the same.)
            f'\n  <option value="{_text(o["value"])}"{_attrs(o["attrs"])}>{conditional_escape(o["label"])}</option>\n'
            for o in options
        )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    """As django/forms/widgets/input.html writes it: the value only when it is not None (an empty one too)."""
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if (
            template_name == SELECT
            and widget
            and all(o["template_name"] == OPTION for _name, options, _index in widget["optgroups"] for o in options)
        ):
            return _select(widget)
        if template_name in INPUTS and widget and not isinstance(widget["value"], tuple):
            return _input(widget)
        return super().render(template_name, context, request=request)
