"""Name the purpose of credits posted before credits had one (0005): retirees' fixed credits from the pooled
fund, everyone else's from contributions (001). Reverse: back to blank."""

from django.db import migrations

FORWARD = """
UPDATE benefits_accountentry SET purpose = CASE WHEN EXISTS (
    SELECT 1 FROM benefits_personalaccount a JOIN enrollment_enrollment e ON e.person_id = a.person_id
     WHERE a.id = benefits_accountentry.account_id AND e.scheme = 'employee' AND e.category = 'retired'
       AND e.status = 'active'
) THEN 'credit_fixed' ELSE 'credit_contribution' END
 WHERE kind = 'credit' AND purpose = ''
"""
REVERSE = "UPDATE benefits_accountentry SET purpose = '' WHERE kind = 'credit'"


class Migration(migrations.Migration):
    dependencies = [("benefits", "0005_account_credit_purposes"), ("enrollment", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, REVERSE)]
