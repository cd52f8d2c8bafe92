from django.db import models


class ImportStagingRow(models.Model):
    """Rows of a batch that passed the per-row checks, staged for the set-based checks and insert.

    UNLOGGED on PostgreSQL (see migration): staging is rebuilt from the file if lost.
    No foreign keys and one index, its key, so COPY runs at full speed (migration 0006).
    """

    pk = models.CompositePrimaryKey("batch_id", "row_number")
    batch_id = models.BigIntegerField()
    row_number = models.IntegerField()
    id_number = models.CharField(max_length=18)
    name = models.CharField(max_length=50)
    gender = models.CharField(max_length=1)
    birth_date = models.DateField()
    district_id = models.BigIntegerField()
    scheme = models.CharField(max_length=10)
    category = models.CharField(max_length=10)
    tier = models.SmallIntegerField(null=True)
    phone = models.CharField(max_length=20)
    employer_code = models.CharField(max_length=18)
    contribution_base = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    rejected = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"batch {self.batch_id} row {self.row_number}"
