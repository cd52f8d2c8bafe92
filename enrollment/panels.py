"""Sections that apps above enrollment add to the person page (缴费单, 医保待遇, ...).

The person page belongs to enrollment, which must not import the apps built on it; each of them
registers a panel in its `AppConfig.ready()`, and the page renders them in `order`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Person


@dataclass(frozen=True)
class PersonPanel:
    order: int
    render: Callable[[HttpRequest, Person], str]  # returns HTML (render_to_string with the request)


PERSON_PANELS: list[PersonPanel] = []


def register_person_panel(panel: PersonPanel) -> None:
    if panel not in PERSON_PANELS:
        PERSON_PANELS.append(panel)
        PERSON_PANELS.sort(key=lambda p: p.order)


def person_panels_html(request: HttpRequest, person: Person) -> list[str]:
    return [panel.render(request, person) for panel in PERSON_PANELS]
