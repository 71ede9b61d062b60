"""Inspections (执法检查): one visit to one institution by at least two certified officers."""
