"""Fill the fund-book fields of bills issued before they existed (0004), from the standards and payments.

Reverse: nothing to undo (0004's reversal drops the columns)."""

from django.db import migrations

STANDARD = """
    FROM enrollment_enrollment e
    JOIN contributions_contributionstandard s
      ON s.year = b.coverage_year AND s.scheme = e.scheme AND s.category = e.category
     AND (s.tier = e.tier OR (s.tier IS NULL AND e.tier IS NULL))
   WHERE e.id = b.enrollment_id
"""
EMPLOYER = f"""
UPDATE contributions_contributionbill AS b SET employer_due = COALESCE((
    SELECT ROUND(COALESCE(e.contribution_base, 0) * s.employer_rate * 12, 2) {STANDARD}), 0)
 WHERE b.scheme = 'employee'
"""  # noqa: S608 (constants only)
FISCAL = f"""
UPDATE contributions_contributionbill AS b SET fiscal_subsidy = COALESCE((SELECT s.fiscal_subsidy {STANDARD}), 0)
 WHERE b.scheme = 'resident'
"""  # noqa: S608
PAID_ON = """
UPDATE contributions_contributionbill AS b SET paid_on = COALESCE(
    (SELECT MAX(p.paid_on) FROM contributions_contributionpayment p WHERE p.bill_id = b.id), {issued})
 WHERE b.status = 'paid'
"""
ISSUED = {"postgresql": "(b.created_at AT TIME ZONE 'Asia/Shanghai')::date", "sqlite": "DATE(b.created_at, '+8 hours')"}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in (EMPLOYER, FISCAL, PAID_ON.format(issued=ISSUED.get(vendor, "b.created_at"))):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0004_bill_fund_book_fields"), ("enrollment", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
