"""What staff read when a background step fails: a sentence, never an exception's repr.

A refusal (ValidationError) and a known problem with a file read as themselves. Anything else is a bug
or an outage: staff read "作业失败，请联系系统管理员（错误编号 …）" and the traceback goes to the log under
that number, so the administrator finds it and nothing technical reaches the page.
"""

import contextlib
import logging
import uuid
import zipfile

from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.exceptions import InvalidFileException

logger = logging.getLogger("yibao.jobs")

XLSX_INVALID = gettext_lazy("文件不是有效的 XLSX 文件（可能已损坏或不是 Excel 文件）")


class StaffError(Exception):
    """A failure whose message is written for staff (Chinese, no technical detail)."""


# What openpyxl raises for a file that is not a workbook (renamed .csv, a truncated download), and
# what defusedxml (which openpyxl uses when installed) raises for a DTD or entity (billion laughs).
FILE_ERRORS = (zipfile.BadZipFile, InvalidFileException, DefusedXmlException)


def failure_text(exc: BaseException, *, context: str = "") -> str:
    """The message a failed job or import shows. An unexpected exception is logged here, once, with an
    error number that the message names (the same exception asked again gets the same number)."""
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    if isinstance(exc, StaffError):
        return str(exc)
    if isinstance(exc, FILE_ERRORS):
        return str(XLSX_INVALID)
    reference = getattr(exc, "yibao_error_reference", None)
    if reference is None:
        reference = uuid.uuid4().hex[:8].upper()
        with contextlib.suppress(AttributeError):  # exceptions without a __dict__ keep no number
            exc.yibao_error_reference = reference  # type: ignore[attr-defined]
        logger.error("background step failed [%s] %s", reference, context, exc_info=exc)
    return _("作业失败，请联系系统管理员（错误编号 %(ref)s）") % {"ref": reference}
