"""Reports: the annual rule-of-law figures, summaries and breakdowns for dashboards (SQL-first)."""
