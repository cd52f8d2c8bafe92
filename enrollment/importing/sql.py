"""Set-based checks across rows and the set-based apply. Portable SQL: PostgreSQL and SQLite >= 3.39."""

STAGING = "enrollment_importstagingrow"
ERRORS = "core_importrowerror"

SCHEME_LABEL = "CASE e.scheme WHEN 'employee' THEN '职工医保' ELSE '居民医保' END"

# Each check looks only at rows not yet refused, so the apply can run them again to catch what
# changed in the database since the preview. The same person twice in one file is refused before
# these, once, by the floor's duplicate-in-file check (core/importing/duplicates.py, key 身份证号):
# rows it refuses are marked rejected with the others, so the apply has no repeats left to find.
CHECKS = [
    f"""
    INSERT INTO {ERRORS} (batch_id, row_number, field, value, message)
    SELECT s.batch_id, s.row_number, '单位信用代码', s.employer_code, '参保单位未登记，请先登记该单位'
    FROM {STAGING} s
    WHERE s.batch_id = %(batch)s AND NOT s.rejected AND s.employer_code <> ''
      AND NOT EXISTS (SELECT 1 FROM enrollment_employer em WHERE em.credit_code = s.employer_code)
    """,
    # Against people already registered, in one join: another name, or registered as dead. People
    # managed by another district get one neutral message: the uploader may not see their record.
    f"""
    INSERT INTO {ERRORS} (batch_id, row_number, field, value, message)
    SELECT s.batch_id, s.row_number,
           CASE WHEN p.district_id = s.district_id AND p.name <> s.name THEN '姓名' ELSE '身份证号' END,
           CASE WHEN p.district_id = s.district_id AND p.name <> s.name THEN s.name ELSE '' END,
           CASE WHEN p.district_id <> s.district_id THEN '与其他区县已登记的信息不一致，请联系市级经办机构核实'
                WHEN p.name <> s.name THEN '与已登记参保人的姓名不一致'
                ELSE '该人员已登记死亡，不能参保' END
    FROM {STAGING} s JOIN enrollment_person p ON p.id_number = s.id_number
    WHERE s.batch_id = %(batch)s AND NOT s.rejected AND (p.name <> s.name OR p.death_date IS NOT NULL)
    """,
    # 重复参保: an active enrollment that is not exactly the one in the file.
    f"""
    INSERT INTO {ERRORS} (batch_id, row_number, field, value, message)
    SELECT s.batch_id, s.row_number, '险种', '',
           CASE WHEN e.district_id = s.district_id
                THEN '重复参保：该人员已在' || d.name || '参加' || {SCHEME_LABEL} || '（有效）'
                ELSE '重复参保：该人员在其他区县有有效参保登记，请办理转移接续或联系市级经办机构' END
    FROM {STAGING} s
    JOIN enrollment_person p ON p.id_number = s.id_number
    JOIN enrollment_enrollment e ON e.person_id = p.id AND e.status = 'active'
    JOIN core_district d ON d.id = e.district_id
    LEFT JOIN enrollment_employer em ON em.credit_code = s.employer_code AND s.employer_code <> ''
    WHERE s.batch_id = %(batch)s AND NOT s.rejected
      AND NOT (e.scheme = s.scheme AND e.category = s.category AND e.tier IS NOT DISTINCT FROM s.tier
               AND e.district_id = s.district_id AND e.employer_id IS NOT DISTINCT FROM em.id
               AND e.contribution_base IS NOT DISTINCT FROM s.contribution_base)
    """,
]

MARK_REJECTED = f"""
UPDATE {STAGING} SET rejected = TRUE
WHERE batch_id = %(batch)s AND EXISTS (
    SELECT 1 FROM {ERRORS} r WHERE r.batch_id = %(batch)s AND r.row_number = {STAGING}.row_number)
"""

COUNT_STAGED_VALID = f"SELECT COUNT(*) FROM {STAGING} WHERE batch_id = %(batch)s AND NOT rejected"

COUNT_ERROR_ROWS = f"SELECT COUNT(DISTINCT row_number) FROM {ERRORS} WHERE batch_id = %(batch)s"

COUNT_NEW_PERSONS = f"""
SELECT COUNT(*) FROM {STAGING} s
WHERE s.batch_id = %(batch)s AND NOT s.rejected
  AND NOT EXISTS (SELECT 1 FROM enrollment_person p WHERE p.id_number = s.id_number)
"""

COUNT_ALREADY_ENROLLED = f"""
SELECT COUNT(*) FROM {STAGING} s
JOIN enrollment_person p ON p.id_number = s.id_number
JOIN enrollment_enrollment e ON e.person_id = p.id AND e.status = 'active'
WHERE s.batch_id = %(batch)s AND NOT s.rejected
"""

INSERT_PERSONS = f"""
INSERT INTO enrollment_person (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
SELECT s.id_number, s.name, s.gender, s.birth_date, s.phone, s.district_id, %(now)s, %(now)s
FROM {STAGING} s
WHERE s.batch_id = %(batch)s AND NOT s.rejected
ORDER BY s.id_number
ON CONFLICT (id_number) DO NOTHING
"""

# ON CONFLICT, through the one-active-enrollment unique index, skips people enrolled already (a
# re-import, or another clerk between the preview and the confirmation). No NOT EXISTS against the
# enrollment table: it grows while this statement runs, and on statistics taken while it was empty
# (a new city's database) the planner rescans it for every row, quadratic (issue 14).
INSERT_ENROLLMENTS = f"""
INSERT INTO enrollment_enrollment
    (person_id, scheme, category, tier, district_id, employer_id, contribution_base, start_date, end_date,
     status, end_reason, import_batch_id, created_at, updated_at)
SELECT p.id, s.scheme, s.category, s.tier, s.district_id, em.id, s.contribution_base, %(start)s, NULL,
       'active', '', %(batch)s, %(now)s, %(now)s
FROM {STAGING} s
JOIN enrollment_person p ON p.id_number = s.id_number
LEFT JOIN enrollment_employer em ON em.credit_code = s.employer_code AND s.employer_code <> ''
WHERE s.batch_id = %(batch)s AND NOT s.rejected
ON CONFLICT (person_id) WHERE status = 'active' DO NOTHING
"""

# Who MOVE_PERSONS is about to move, with their old district, for the audit trail.
MOVING_PERSONS = f"""
SELECT p.id, p.district_id, s.district_id
FROM enrollment_person p JOIN {STAGING} s ON s.id_number = p.id_number
WHERE s.batch_id = %(batch)s AND NOT s.rejected AND p.district_id <> s.district_id
  AND NOT EXISTS (SELECT 1 FROM enrollment_enrollment e WHERE e.person_id = p.id AND e.status = 'active')
"""

# People who come back after an enrollment elsewhere ended now belong to the importing district.
# Runs before the person insert; rows with an active enrollment elsewhere were refused in validation.
MOVE_PERSONS = f"""
UPDATE enrollment_person SET district_id = s.district_id, updated_at = %(now)s
FROM {STAGING} s
WHERE s.batch_id = %(batch)s AND NOT s.rejected AND enrollment_person.id_number = s.id_number
  AND enrollment_person.district_id <> s.district_id
  AND NOT EXISTS (SELECT 1 FROM enrollment_enrollment e
                  WHERE e.person_id = enrollment_person.id AND e.status = 'active')
"""

# --- Importing a file again (the same file as an imported batch, pipeline._validate_again) ---

# The rows of the earlier import's file-level errors: the per-row checks' (rows never staged) and the
# repeats of an earlier row. The file is the same, so these are this batch's too.
COPY_FILE_ERRORS = f"""
INSERT INTO {ERRORS} (batch_id, row_number, field, value, message)
SELECT %(batch)s, r.row_number, r.field, r.value, r.message
FROM {ERRORS} r
WHERE r.batch_id = %(previous)s
  AND (NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.batch_id = %(source)s AND s.row_number = r.row_number)
       OR (r.field = %(key_field)s AND r.message LIKE %(duplicate)s))
ORDER BY r.row_number, r.id
"""

# Staged rows of the source (not refused in this batch) that the database does not hold exactly:
# no such person, another name or district, dead, no active enrollment, or one that differs. Outer
# joins on the unique keys alone (person's id_number, the one active enrollment per person, the
# employer's code), the fields compared after: hash joins, not sorts of the rows by every field.
# Zero means every check would pass and nothing would be written (pipeline._validate_again).
CHANGED_SINCE = f"""
SELECT COUNT(*) FROM {STAGING} s
LEFT JOIN enrollment_person p ON p.id_number = s.id_number
LEFT JOIN enrollment_enrollment e ON e.person_id = p.id AND e.status = 'active'
LEFT JOIN enrollment_employer em ON em.credit_code = s.employer_code AND s.employer_code <> ''
WHERE s.batch_id = %(source)s
  AND NOT EXISTS (SELECT 1 FROM {ERRORS} r WHERE r.batch_id = %(batch)s AND r.row_number = s.row_number)
  AND NOT COALESCE(
      p.name = s.name AND p.district_id = s.district_id AND p.death_date IS NULL
      AND e.scheme = s.scheme AND e.category = s.category AND e.tier IS NOT DISTINCT FROM s.tier
      AND e.district_id = s.district_id AND e.contribution_base IS NOT DISTINCT FROM s.contribution_base
      AND (s.employer_code = '' OR em.id IS NOT NULL) AND e.employer_id IS NOT DISTINCT FROM em.id,
      FALSE)
"""

# The source's rows as this batch's own (the database changed: they go through every check again).
COPY_STAGED = f"""
INSERT INTO {STAGING} (batch_id, row_number, id_number, name, gender, birth_date, district_id, scheme, category,
                       tier, phone, employer_code, contribution_base, rejected)
SELECT %(batch)s, row_number, id_number, name, gender, birth_date, district_id, scheme, category,
       tier, phone, employer_code, contribution_base, FALSE
FROM {STAGING} WHERE batch_id = %(source)s
"""

COUNT_STAGED = f"SELECT COUNT(*) FROM {STAGING} WHERE batch_id = %(source)s"

# Whether the earlier check refused a row for a birth date after its day (a later day may accept it).
BIRTH_AFTER_DAY = f"""
SELECT EXISTS (SELECT 1 FROM {ERRORS} WHERE batch_id = %(previous)s AND message = %(message)s)
"""

# The source's rows this batch refused as repeats: the checks against the database meet them too (as
# for a new file, where the repeats are refused before those checks run but marked only after).
COPY_STAGED_REPEATS = (
    COPY_STAGED
    + f""" AND EXISTS (SELECT 1 FROM {ERRORS} r WHERE r.batch_id = %(batch)s
                      AND r.row_number = {STAGING}.row_number)"""  # noqa: S608
)
