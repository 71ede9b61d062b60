"""The model registry: imports every domain's models so `Base.metadata` is complete (for Alembic and the drift
test). It sits at the top of the package so that `app.db` never knows a domain; nothing in `app` imports it."""

from app.auth import models as auth_models
from app.db import limits as limit_models
from app.db import outbox as outbox_models
from app.db import versions as version_models
from app.db.base import Base
from app.deadlines import models as deadline_models
from app.events.webhooks import models as webhook_models
from app.hazards import models as hazard_models
from app.inspections import models as inspection_models
from app.institutions import models as institution_models
from app.officers import models as officer_models
from app.plans import models as plan_models
from app.regions import models as region_models

__all__ = [
    "Base",
    "auth_models",
    "deadline_models",
    "hazard_models",
    "inspection_models",
    "institution_models",
    "limit_models",
    "officer_models",
    "outbox_models",
    "plan_models",
    "region_models",
    "version_models",
    "webhook_models",
]
