"""Hazard ledger exports (隐患台账) as CSV and XLSX, streamed."""
