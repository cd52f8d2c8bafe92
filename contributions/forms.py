import datetime as dt

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from core.forms import DateField

from .models import ContributionPayment
from .services import channel_invalid_message


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("缴费金额"), max_digits=12, decimal_places=2)
    paid_on = DateField(label=_("缴费日期"), initial=dt.date.today)
    reference = forms.CharField(label=_("缴费流水号"), max_length=64)
    channel = forms.ChoiceField(
        label=_("缴费渠道"),
        choices=ContributionPayment.Channel.choices,
        error_messages={"invalid_choice": lazy(channel_invalid_message, str)()},
    )
