"""inspection-tracker: enforcement inspections (民政执法检查) of funeral and elderly-care institutions."""

__version__ = "0.1.0"
