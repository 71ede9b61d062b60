"""Imports every model module so `Base.metadata` is complete (for Alembic and the drift test)."""

from app.auth import models as auth_models
from app.db.base import Base
from app.institutions import models as institution_models

__all__ = ["Base", "auth_models", "institution_models"]
