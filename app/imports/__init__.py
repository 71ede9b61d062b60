"""批量导入: the institution register and the officer list brought in from Excel (XLSX or CSV)."""
