"""The enrollee-list import: read, check each row, stage, check across rows in SQL, apply in SQL."""
