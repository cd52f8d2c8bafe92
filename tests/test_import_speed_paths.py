"""The enrollee import's fast paths (issue 14 point 3) give what the plain path gives.

* Checking a big CSV in worker processes: the same staged rows and the same row errors, in the same
  order, as checking it in one process; a file problem in a later chunk is the same file problem.
* Importing a file imported before reuses that import's checked rows, and still sees every change
  to the database since: a person renamed, deleted or enrolled otherwise is found as a new file's
  rows would find it.
* The apply's statements plan right on tables analyzed while empty (issue 14 point 4).
"""

import datetime as dt
import os
import signal
from contextlib import contextmanager

import pytest
from django.db import connection

from core.importing import chunks
from core.importing.limits import import_limits
from core.importing.reader import sample_csv
from core.models import ImportBatch, ImportRowError
from enrollment.importing import pipeline, sql
from enrollment.importing.parallel import check_chunk, copy_line, copy_text
from enrollment.importing.pipeline import import_batch_confirm, import_batch_revalidate
from enrollment.models import Employer, Enrollment, ImportStagingRow, Person
from tests.factories import make_credit_code, make_id_number
from tests.plan_support import analyze_held
from tests.test_import import HEADER, good_rows, row, upload

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture
def employer(districts):
    return Employer.objects.create(credit_code=make_credit_code(9), name="重庆丙公司", district=districts["500103"])


def _errors(batch):
    """The errors as staff see them (core.importing.selectors.import_row_errors: by row, then as written)."""
    return list(
        ImportRowError.objects.filter(batch=batch)
        .order_by("row_number", "id")
        .values_list("row_number", "field", "value", "message")
    )


def _staged(batch_id):
    return sorted(
        ImportStagingRow.objects.filter(batch_id=batch_id).values_list(
            "row_number", "id_number", "name", "gender", "birth_date", "district_id", "scheme", "category", "tier",
            "phone", "employer_code", "contribution_base", "rejected",
        )
    )  # fmt: skip


def _mixed_rows(employer: Employer):
    """Good rows with every kind of row error between them, a repeat, and blank lines."""
    ids = [make_id_number(birth=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), seq=200 + i) for i in range(60)]
    rows = []
    for i, id_number in enumerate(ids):
        if i % 7 == 3:
            rows.append(row("王" + "芳娜敏静"[i % 4], id_number[:17] + ("0" if id_number[17] != "0" else "1")))
        elif i % 11 == 5:
            rows.append(row("赵" + "伟强"[i % 2], id_number, district="999999"))
        elif i % 13 == 6:
            rows.append(row("钱" + "军洋"[i % 2], id_number, tier=""))
        elif i % 17 == 8:
            rows.append(["", "", "", "", "", "", "", "", "", "", ""])  # a blank line keeps its row number
        else:
            rows.append(row("张" + "伟芳娜秀英敏静丽"[i % 8], id_number))
    rows.append(row("孙丽", ids[0]))  # the same person again: refused, naming row 2
    rows.append(
        row("李四", ids[1], scheme="职工医保", category="在职", tier="", employer=employer.credit_code, base="1")
    )
    rows.append(row("周\x00敏", make_id_number(birth=dt.date(1990, 5, 6), seq=190)))  # a NUL: the row is refused
    return rows


def _people(n: int) -> list[list[str]]:
    return [
        row(
            "张" + "伟芳娜秀英敏静丽"[i % 8] + "一二三四五"[i % 5],
            make_id_number(birth=dt.date(1980, 1, 1 + i % 28), seq=300 + i),
        )
        for i in range(n)
    ]


def _check_file(clerk, capture, rows, *, content=None):
    with capture(execute=True):
        batch = upload(clerk, rows, mode="skip_invalid", content=content)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def in_parallel(settings, monkeypatch):
    """Every CSV checked in two worker processes, cut into chunks of a few rows."""
    settings.YIBAO_IMPORT_PARALLEL_MIN_BYTES = 0
    settings.YIBAO_IMPORT_WORKERS = 2
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 300)


def test_checking_in_worker_processes_gives_the_same_rows_and_errors(
    clerk_yuzhong, employer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    rows = _mixed_rows(employer)
    settings.YIBAO_IMPORT_PARALLEL_MIN_BYTES = 1 << 40  # one process
    serial = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows)
    serial_errors, serial_rows = _errors(serial), _staged(serial.pk)

    settings.YIBAO_IMPORT_PARALLEL_MIN_BYTES = 0
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 300)  # about 3 rows a chunk: rows and errors cross many chunks
    results = []

    def counted(*args, **kwargs):
        for result in chunks.ordered_map(*args, **kwargs):
            results.append(result)
            yield result

    monkeypatch.setattr(pipeline, "ordered_map", counted)
    parallel = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows)
    assert len(results) > 15 and sum(r.count for r in results) == parallel.total_rows

    assert (parallel.status, parallel.total_rows, parallel.error_rows) == (
        serial.status,
        serial.total_rows,
        serial.error_rows,
    )
    assert parallel.total_rows == 60 + 3 - 3  # three blank lines are not rows
    assert _errors(parallel) == serial_errors
    assert ("身份证号", "与文件第2行的身份证号重复") in {(e[1], e[3]) for e in serial_errors}
    assert _staged(parallel.pk) == serial_rows
    assert len(serial_rows) > 30
    assert serial_errors[-1] == (64, "", "", "该行含有不可见的控制字符（NUL），请检查文件")
    # The row numbers are the file's, across chunks: the last row staged (李四) is row 63.
    assert serial_rows[-1][0] == 63 and serial_rows[-1][2] == "李四"
    assert {k: v for k, v in parallel.counts.items() if k != "checked_as"} == serial.counts


def test_a_file_problem_in_a_later_chunk_is_the_same_problem(
    clerk_yuzhong, employer, settings, in_parallel, django_capture_on_commit_callbacks
):
    rows = _people(40)
    rows[30] = [*rows[30], *(["x"] * 60)]  # 71 columns on row 32, over the 50-column limit
    batch = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows)
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error == "第 32 行有 71 列，超过 50 列的上限"
    assert _errors(batch) == [(1, "", "", "第 32 行有 71 列，超过 50 列的上限")]
    assert ImportStagingRow.objects.filter(batch_id=batch.pk).count() == 0


def test_line_ends_and_a_bom_are_read_as_one_process_reads_them(
    clerk_yuzhong, employer, in_parallel, django_capture_on_commit_callbacks
):
    rows = _people(12)
    content = "\ufeff".encode() + sample_csv(HEADER, rows).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    content = content.replace(b"\r\n", b"\r", 3)  # old Mac line ends on the first rows
    batch = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows, content=content)
    assert (batch.status, batch.total_rows, batch.error_rows) == (ImportBatch.Status.VALIDATED, 12, 0)
    assert [r[0] for r in _staged(batch.pk)] == list(range(2, 14))


def _killed(chunk, context):
    """A check that dies as an out-of-memory kill would take it: no exception, no result."""
    if chunk.start > 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return check_chunk(chunk, context)


@contextmanager
def _at_most(seconds: int):
    """A hang becomes a failure (the old pool waited for a dead worker's chunk for ever)."""

    def hung(*_):
        raise AssertionError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_worker_killed_mid_file_fails_the_batch_instead_of_hanging(
    clerk_yuzhong, employer, in_parallel, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker killed while checking a chunk (the out-of-memory killer, an operator) fails the batch with a
    message and leaves nothing staged; checking it again succeeds."""
    monkeypatch.setattr(pipeline, "check_chunk", _killed)
    with _at_most(60), pytest.raises(chunks.FileWorkerLost):
        _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, _people(40))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "工作进程意外退出" in batch.error
    monkeypatch.setattr(pipeline, "check_chunk", check_chunk)
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_revalidate(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows, batch.error_rows) == (ImportBatch.Status.VALIDATED, 40, 0)
    assert len(_staged(batch.pk)) == 40


def test_chunks_are_cut_at_line_ends_with_the_right_row_numbers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"h1,h2\r\na,1\r\n\r\nb,2\rc,3\nd,4")
    rows = [r for chunk in chunks.csv_chunks(path, import_limits(), size=4) for r in chunks.chunk_rows(chunk)]
    assert rows == [(2, ["a", "1"]), (4, ["b", "2"]), (5, ["c", "3"]), (6, ["d", "4"])]
    quoted = tmp_path / "q.csv"
    quoted.write_bytes(b"h\n" + b'"a\nb"\n' * 10)
    assert not chunks.parallel_csv(quoted, "q.csv", min_bytes=0)  # a quoted line break: one process
    assert chunks.parallel_csv(path, "a.csv", min_bytes=0)


def test_copy_text_escapes_what_copy_must_read_back():
    plain = (1, 2, "11010519491231002X", "张三", "F", "1949-12-31", 3, "resident", "adult", 1, "", "", None, False)
    odd = (
        1,
        3,
        "11010519491231002X",
        "张\t三\\N",
        "F",
        "1949-12-31",
        3,
        "resident",
        "adult",
        None,
        "",
        "",
        None,
        False,
    )
    assert copy_text([plain]) == copy_line(plain).encode()
    assert (
        copy_text([plain]).decode()
        == "1\t2\t11010519491231002X\t张三\tF\t1949-12-31\t3\tresident\tadult\t1\t\t\t\\N\tf\n"
    )
    assert copy_text([plain, odd]).decode().splitlines()[1].split("\t")[3] == "张\\t三\\\\N"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_streamed_copy_text_stages_the_same_rows(clerk_yuzhong, employer, settings, monkeypatch):
    """Outside a transaction (a worker), the chunks' rows go to the COPY as text."""
    rows = _mixed_rows(employer)
    settings.YIBAO_IMPORT_PARALLEL_MIN_BYTES = 1 << 40
    serial = upload(clerk_yuzhong, rows, mode="skip_invalid")
    serial.refresh_from_db()
    settings.YIBAO_IMPORT_PARALLEL_MIN_BYTES = 0
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 400)
    parallel = upload(clerk_yuzhong, rows, mode="skip_invalid")
    parallel.refresh_from_db()
    assert _errors(parallel) == _errors(serial)
    assert _staged(parallel.pk) == _staged(serial.pk)


# --- Importing a file again ---


@pytest.fixture
def keep_small_files(settings):
    settings.YIBAO_IMPORT_KEEP_STAGED_MIN_ROWS = 0


def _imported(clerk, rows, capture, *, mode="skip_invalid"):
    batch = _check_file(clerk, capture, rows)
    with capture(execute=True):
        import_batch_confirm(actor=clerk, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    return batch


def test_an_unchanged_file_again_creates_nothing_and_reports_the_same_errors(
    clerk_yuzhong, employer, keep_small_files, django_capture_on_commit_callbacks
):
    rows = _mixed_rows(employer)
    first = _imported(clerk_yuzhong, rows, django_capture_on_commit_callbacks)
    persons, enrollments = Person.objects.count(), Enrollment.objects.count()
    assert persons == first.counts["created_persons"] > 30

    again = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows)
    # Rows 62 and 63 repeat rows 2 and 3's ID numbers under other names: now that those people are
    # registered, the repeats are also refused by the checks against them, as a new file's repeats are.
    expected = _errors(first)
    assert expected[-3:] == [
        (62, "身份证号", "", "与文件第2行的身份证号重复"),
        (63, "身份证号", "", "与文件第3行的身份证号重复"),
        (64, "", "", "该行含有不可见的控制字符（NUL），请检查文件"),
    ]
    nul = expected.pop()
    expected[-1:-1] = [(62, "姓名", "孙丽", "与已登记参保人的姓名不一致")]
    expected.append((63, "姓名", "李四", "与已登记参保人的姓名不一致"))
    expected.append((63, "险种", "", "重复参保：该人员已在渝中区参加居民医保（有效）"))  # 职工医保 in the file
    expected.append(nul)
    assert _errors(again) == expected
    assert (again.total_rows, again.valid_rows, again.error_rows) == (
        first.total_rows,
        first.valid_rows,
        first.error_rows,
    )
    assert again.counts["new_persons"] == 0 and again.counts["new_enrollments"] == 0
    assert again.counts["already_enrolled"] == first.valid_rows
    if connection.vendor == "postgresql":  # the reuse is PostgreSQL's; SQLite checks the file again
        assert again.counts["staged_from"] == first.pk
        # Only the two repeats are staged again (for the checks against the database).
        assert list(
            ImportStagingRow.objects.filter(batch_id=again.pk)
            .order_by("row_number")
            .values_list("row_number", flat=True)
        ) == [62, 63]
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=again)
    again.refresh_from_db()
    assert again.status == ImportBatch.Status.IMPORTED
    assert again.counts["created_persons"] == 0 and again.counts["created_enrollments"] == 0
    assert again.counts["skipped_already_enrolled"] == first.valid_rows
    assert (Person.objects.count(), Enrollment.objects.count()) == (persons, enrollments)


@pytest.mark.parametrize(
    ("change", "created", "refused"),
    [
        ("renamed", (0, 0), [(3, "姓名", "与已登记参保人的姓名不一致")]),
        ("deleted", (1, 1), []),
        ("enrollment_ended", (0, 1), []),
        ("employer_gone", (0, 0), [(7, "单位信用代码", "参保单位未登记，请先登记该单位")]),
        ("died", (0, 0), [(3, "身份证号", "该人员已登记死亡，不能参保")]),
    ],
)
def test_a_file_again_sees_every_change_to_the_database(
    change, created, refused, clerk_yuzhong, employer, keep_small_files, django_capture_on_commit_callbacks
):
    """Row 3 is a resident's, row 7 an employee's; the change is made behind the import's back (no
    service, no audit), as a restore or a fix in SQL would."""
    rows = good_rows(employer, n=6)
    _imported(clerk_yuzhong, rows, django_capture_on_commit_callbacks)
    person = Person.objects.get(id_number=rows[1][1])
    if change == "renamed":
        Person.objects.filter(pk=person.pk).update(name="王改名")
    elif change == "deleted":
        Enrollment.objects.filter(person=person).delete()
        person.delete()
    elif change == "enrollment_ended":
        Enrollment.objects.filter(person=person).update(
            status="ended", end_date=dt.date(2023, 6, 30), end_reason="other"
        )
    elif change == "employer_gone":
        Enrollment.objects.filter(employer=employer).update(employer=None)
        employer.delete()
    else:
        Person.objects.filter(pk=person.pk).update(death_date=dt.date(2023, 5, 1))

    again = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows)
    assert "staged_from" not in again.counts  # the database changed: every row is checked against it
    assert [(e[0], e[1], e[3]) for e in _errors(again)] == refused
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=again)
    again.refresh_from_db()
    assert again.status == ImportBatch.Status.IMPORTED
    assert (again.counts["created_persons"], again.counts["created_enrollments"]) == created
    assert Person.objects.filter(id_number=rows[1][1]).count() == 1


def test_a_change_between_the_preview_and_the_confirmation_is_seen(
    clerk_yuzhong, employer, keep_small_files, django_capture_on_commit_callbacks
):
    rows = good_rows(employer, n=4)
    _imported(clerk_yuzhong, rows, django_capture_on_commit_callbacks)
    again = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, rows)
    if connection.vendor == "postgresql":
        assert again.counts["staged_from"]
    gone = Person.objects.get(id_number=rows[0][1])
    Enrollment.objects.filter(person=gone).delete()
    gone.delete()
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=again)
    again.refresh_from_db()
    assert again.status == ImportBatch.Status.IMPORTED
    assert again.counts["created_persons"] == 1 and again.counts["created_enrollments"] == 1
    assert Person.objects.filter(id_number=rows[0][1]).exists()
    assert "staged_from" not in again.counts


def test_another_district_s_upload_of_the_same_file_is_checked_again(
    clerk_yuzhong, municipal_admin, employer, keep_small_files, django_capture_on_commit_callbacks
):
    rows = good_rows(employer, n=3)
    _imported(clerk_yuzhong, rows, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        city = upload(municipal_admin, rows, mode="skip_invalid", district_id=None)
    city.refresh_from_db()
    assert "staged_from" not in city.counts  # the uploader's district is part of what the rows were checked for
    assert city.counts["already_enrolled"] == 3


def test_only_the_latest_files_rows_are_kept(
    clerk_yuzhong, employer, keep_small_files, settings, django_capture_on_commit_callbacks
):
    settings.YIBAO_IMPORT_KEEP_STAGED_FILES = 1
    first = _imported(clerk_yuzhong, good_rows(employer, n=3), django_capture_on_commit_callbacks)
    assert ImportStagingRow.objects.filter(batch_id=first.pk).count() == 3
    other = [row("周" + "伟芳娜"[i], make_id_number(birth=dt.date(1985, 2, 3 + i), seq=700 + i)) for i in range(3)]
    second = _imported(clerk_yuzhong, other, django_capture_on_commit_callbacks)
    assert ImportStagingRow.objects.filter(batch_id=first.pk).count() == 0
    assert ImportStagingRow.objects.filter(batch_id=second.pk).count() == 3
    first.refresh_from_db()
    assert first.counts["staging_kept"] is False


# --- Plans on statistics taken while the tables were empty (issue 14 point 4) ---


@on_postgresql
def test_the_enrollment_insert_does_not_read_the_table_it_grows(
    clerk_yuzhong, employer, django_capture_on_commit_callbacks
):
    """Analyzed while empty, the enrollment table looks like 0 rows: a plan that rescans it per staged row
    is quadratic, because it grows while the statement runs. The insert reads only staging, person and
    employer, and skips existing enrollments through the one-active-per-person unique index."""
    batch = _check_file(clerk_yuzhong, django_capture_on_commit_callbacks, good_rows(employer, n=3))
    analyze_held("enrollment_person", "enrollment_enrollment")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + sql.INSERT_ENROLLMENTS,
            {"batch": batch.pk, "start": dt.date(2023, 1, 1), "now": dt.datetime(2023, 1, 1, tzinfo=dt.UTC)},
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "on enrollment_enrollment e" not in plan and "Scan on enrollment_enrollment" not in plan
    assert "Conflict Arbiter Indexes" in plan
