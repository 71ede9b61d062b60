"""Enforcement officers (执法人员), their certificates (执法证) and trainings."""
