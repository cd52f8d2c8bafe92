"""The submit step every app's staff pages share: form -> service -> field errors or a message -> redirect.

Each page used to spell out the same try/except block; one copy keeps the views thin and makes every page
behave alike. No rule lives here: the service decides, and writes nothing when it refuses (services are
atomic); this only puts its answer where staff look for it."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from .forms import apply_service_errors

Result = TypeVar("Result")


def form_submit(
    request: HttpRequest,
    form: forms.Form,
    *,
    call: Callable[[dict[str, Any]], Result],
    then: Callable[[Result], HttpResponse],
    success: str | Callable[[Result], str] = "",
    aliases: Mapping[str, str] | None = None,
) -> HttpResponse | None:
    """Validate a POSTed form, call the service with its cleaned data, then flash `success` and return `then`.

    Returns None when the caller must render the page again: not a POST, an invalid form, or the service
    refused with a ValidationError, whose messages are now on the form's fields (service field names
    renamed by `aliases`) or above the form. `success` is a message, or a function of the service's result.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error, aliases=aliases)
        return None
    message = success(result) if callable(success) else success
    if message:
        messages.success(request, message)
    return then(result)


def action_submit(request: HttpRequest, call: Callable[[], object], *, success: str = "") -> None:
    """Run a POST-only action that has no form of its own (a button), and say how it went as a message.

    A refusal (ValidationError) becomes one error message; the caller redirects either way."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        if success:
            messages.success(request, success)
