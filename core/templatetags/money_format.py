"""Template filters for amounts and ratios: {% load money_format %} then {{ s.total_cost|yuan }}."""

from django import template

from core.money import amount_text, percent_text, yuan_text

register = template.Library()


@register.filter
def yuan(value) -> str:
    """12345.6 -> "12,345.60 元"."""
    return yuan_text(value)


@register.filter
def amount(value) -> str:
    """12345.6 -> "12,345.60" (for a column already headed 元)."""
    return amount_text(value)


@register.filter
def percent(value) -> str:
    """0.6000 -> "60%"; 0.625 -> "62.5%"."""
    return percent_text(value)
