"""Institutions (机构): funeral (殡葬机构) and elderly-care (养老机构) institutions under inspection."""
