"""Issue 13, must-show 3 (finding 2): hostile import files are refused at upload, fast and in little memory.

Each file is built in tmp_path and handed to the upload path's check (core.importing.reader.
check_readable, which batch_store_and_queue calls for every kind of import before storing anything) in a
fresh Python process, which reports the wall time, its peak RSS and the message: under 10 s, under
300 MB, in Chinese, naming the limit, no exception class names. Then the same through the enrollee
import's upload service: refused, nothing stored; and the exact row, column and cell limits while the
rows stream (a file whose envelope passed).
"""

import base64
import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from core.importing.limits import DEFAULTS
from core.importing.reader import sample_csv
from core.models import ImportBatch, ImportRowError
from enrollment.importing.columns import HEADERS
from enrollment.importing.pipeline import import_batch_create
from tests.factories import make_id_number

MB = 1024 * 1024
ROOT = Path(settings.BASE_DIR)
MAX_SECONDS = 10
MAX_RSS_MB = 300

_PROBE = """
import json, sys, time
import django
django.setup()
from core.importing.reader import FileProblem, check_readable
path, name = sys.argv[1], sys.argv[2]
start = time.monotonic()
message = ""
try:
    with open(path, "rb") as fh:
        check_readable(fh, name)
except FileProblem as exc:
    message = str(exc)
seconds = time.monotonic() - start
# Peak RSS of this process since exec (VmHWM). Not ru_maxrss: Linux carries it over from the parent at
# fork, so late in a long pytest run it reported the parent's size, not this probe's.
with open("/proc/self/status") as status:
    rss_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "message": message}))
"""


def _probe(path: Path, name: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _workbook_parts() -> dict[str, bytes]:
    """The parts of a real (tiny) workbook saved by openpyxl, to swap one for a hostile one."""
    workbook = Workbook()
    workbook.active.append(list(HEADERS))
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _xlsx(path: Path, *, replace: dict[str, bytes] | None = None, big_sheet=None) -> Path:
    parts = _workbook_parts() | (replace or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name == "xl/worksheets/sheet1.xml" and big_sheet is not None:
                with archive.open(name, "w", force_zip64=True) as part:
                    big_sheet(part)
            else:
                archive.writestr(name, data)
    return path


def _zip_bomb(path: Path, megabytes: int = 1024) -> Path:
    """About 3 MB on disk, 1 GB of sheet XML inside (the finding's file)."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></is></c></row>'
    block = row * (MB // len(row))

    def write(part):
        part.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet><sheetData>')
        for _ in range(megabytes):
            part.write(block)
        part.write(b"</sheetData></worksheet>")

    return _xlsx(path, big_sheet=write)


def _huge_cell(path: Path) -> Path:
    """One 40-million-character cell of incompressible text (no ratio gives it away)."""
    text = base64.b64encode(os.urandom(30 * MB))

    def write(part):
        part.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr">')
        part.write(b"<is><t>" + text + b"</t></is></c></row></sheetData></worksheet>")

    return _xlsx(path, big_sheet=write)


def _billion_laughs(path: Path) -> Path:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    strings = (
        f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    ).encode()
    return _xlsx(path, replace={"xl/sharedStrings.xml": strings})


def _long_line_csv(path: Path) -> Path:
    with open(path, "wb") as fh:
        fh.write(",".join(HEADERS).encode() + b"\n")
        chunk = b"A" * MB
        for _ in range(100):
            fh.write(chunk)
        fh.write(b"\n")
    return path


def _csv_named_xlsx(path: Path) -> Path:
    path.write_bytes(sample_csv(list(HEADERS), [["张三", "500103198005171239"]]))
    return path


def _small_zip_bomb(path: Path) -> Path:
    """200 MB of sheet XML, within the uncompressed limit: its compression ratio gives it away."""
    return _zip_bomb(path, megabytes=200)


HOSTILE = {
    "zip bomb": (_zip_bomb, "名单.xlsx", "解压后为 1,023.9 MB，超过上限 800.0 MB"),
    "small zip bomb": (_small_zip_bomb, "名单.xlsx", "超过 100 倍的上限"),
    "one huge cell": (_huge_cell, "名单.xlsx", "个字符的单元格"),
    "billion laughs": (_billion_laughs, "名单.xlsx", "实体"),
    "100 MB line": (_long_line_csv, "名单.csv", "单行上限"),
    "CSV named .xlsx": (_csv_named_xlsx, "名单.xlsx", "文件不是有效的 XLSX 文件"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_file_is_refused_at_upload_fast_and_small(tmp_path, kind):
    build, name, words = HOSTILE[kind]
    path = build(tmp_path / name.replace("名单", "file"))
    result = _probe(path, name)
    assert words in result["message"], result
    assert "Error" not in result["message"] and "Exception" not in result["message"]
    assert result["seconds"] < MAX_SECONDS, result
    assert result["rss_mb"] < MAX_RSS_MB, result
    print(f"\n{kind}: {result['seconds']:.3f} s, peak {result['rss_mb']:.0f} MB")


def test_the_zip_bomb_is_what_the_finding_describes(tmp_path):
    path = _zip_bomb(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path) as archive:
        inside = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert path.stat().st_size < 5 * MB and inside >= 1000 * MB


def _upload(actor, name: str, data: bytes, mode=ImportBatch.Mode.SKIP_INVALID):
    return import_batch_create(
        actor=actor,
        fileobj=SimpleUploadedFile(name, data),
        original_name=name,
        district_id=actor.district_id,
        mode=mode,
        effective_date=dt.date(2023, 1, 1),
    )


@pytest.mark.django_db
def test_upload_service_refuses_a_bomb_and_stores_nothing(tmp_path, clerk_yuzhong):
    for build, name in ((_zip_bomb, "名单.xlsx"), (_csv_named_xlsx, "名单.xlsx"), (_billion_laughs, "名单.xlsx")):
        data = build(tmp_path / f"file-{build.__name__}.xlsx").read_bytes()
        with pytest.raises(ValidationError) as refused:
            _upload(clerk_yuzhong, name, data)
        [message] = refused.value.message_dict["file"]
        assert "上限" in message or "不是" in message or "实体" in message
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_limits_are_settings_and_the_message_names_limit_and_figure(settings, clerk_yuzhong):
    settings.YIBAO_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        _upload(clerk_yuzhong, "名单.csv", b"x" * 2 * MB)
    [message] = refused.value.message_dict["file"]
    assert message == "文件大小为 2.0 MB，超过上限 0.0 MB，请拆分后导入" or "2.0 MB" in message
    settings.YIBAO_IMPORT_MAX_BYTES = DEFAULTS["YIBAO_IMPORT_MAX_BYTES"]
    settings.YIBAO_IMPORT_MAX_ROWS = 2
    rows = [[f"张{'三四五'[i]}", make_id_number(seq=100 + i)] for i in range(3)]
    with pytest.raises(ValidationError) as refused:
        _upload(clerk_yuzhong, "名单.csv", sample_csv(list(HEADERS), rows))
    assert "2 行数据的上限" in refused.value.message_dict["file"][0]
    assert not ImportBatch.objects.exists()


def _row(name: str, seq: int, extra: list[str] | None = None) -> list[str]:
    number = make_id_number(area="500103", birth=dt.date(1980, 5, 17), seq=seq)
    gender = "男" if int(number[16]) % 2 else "女"
    return [name, number, gender, "1980-05-17", "500103", "居民医保", "成年居民", "一档", "", "", "", *(extra or [])]


@pytest.mark.django_db
def test_rows_over_the_column_or_cell_limit_reject_the_batch_in_words(
    settings, clerk_yuzhong, django_capture_on_commit_callbacks
):
    """The upload counts the header's columns and the longest line; the reader checks every row exactly."""
    settings.YIBAO_IMPORT_MAX_COLUMNS = 12
    with django_capture_on_commit_callbacks(execute=True):
        batch = _upload(
            clerk_yuzhong, "名单.csv", sample_csv(list(HEADERS), [_row("张三", 1), _row("李四", 2, ["x"] * 5)])
        )
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error == "第 3 行有 16 列，超过 12 列的上限"
    assert ImportRowError.objects.get(batch=batch).message == batch.error

    settings.YIBAO_IMPORT_MAX_COLUMNS = DEFAULTS["YIBAO_IMPORT_MAX_COLUMNS"]
    settings.YIBAO_IMPORT_MAX_CELL_CHARS = 30
    with django_capture_on_commit_callbacks(execute=True):
        batch = _upload(clerk_yuzhong, "名单.csv", sample_csv(list(HEADERS), [_row("张三", 1, ["备注" * 20])]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error == "第 2 行有一个单元格长 40 个字符，超过每个单元格 30 个字符的上限"
