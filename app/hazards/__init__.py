"""Hazards (隐患 / 问题): findings of inspections, tracked until rectified (整改) and verified (销号)."""
