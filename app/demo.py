"""`seed-demo`: the 2023 Shizhu County (石柱土家族自治县, 500240) data set behind the bureau's annual report.

It reproduces section 9 of the 2023 rule-of-law report: 8 funeral institutions inspected 56 times with 32
problems found, all rectified; 27 elderly-care institutions inspected 111 times with 141 hazards found, all
rectified; 17 certified officers (section 8) — plus, as real rosters have, an officer whose certificate
expired, one whose certificate was revoked and a trainee without one.

Rules:
- Deterministic: the same ids, dates and texts on every run (seeded RNG, uuid5 ids).
- Idempotent: everything goes through the services; creates replay by id, transitions only move hazards
  that have not moved yet, so a second run changes nothing.
- Nothing is stored as a figure: the report is computed from these records, and `annual_paragraph` computes
  it the way `GET /reports/annual?year=2023` does for a user without a region scope.
- The regions register names the county and its 33 townships (app.demo_regions), so reports and ledgers
  show names.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.principals import Principal, PrincipalKind
from app.auth.schemas import UserCreate
from app.auth.service import create_user
from app.db.session import Database
from app.deadlines.service import transition_effects
from app.demo_regions import COUNTY
from app.demo_regions import TOWNSHIPS as TOWNSHIP_REGIONS
from app.hazards import service as hazard_service
from app.hazards.models import Hazard, HazardCategory, HazardStatus, Severity
from app.hazards.schemas import HazardCreate, TransitionCreate
from app.hazards.workflow import Action
from app.inspections import service as inspection_service
from app.inspections.models import InspectionType
from app.inspections.schemas import InspectionCreate
from app.institutions import service as institution_service
from app.institutions.models import InstitutionKind, OperatorType
from app.institutions.schemas import InstitutionCreate
from app.officers import service as officer_service
from app.officers.models import CertificateStatus
from app.officers.queries import officer_region
from app.officers.schemas import OfficerCreate
from app.plans.queries import plan_terms
from app.regions import service as region_service
from app.regions.csvfile import ImportRow
from app.reports import annual
from app.reports import service as report_service
from app.reports.queries import Period

REGION = "500240"
YEAR = 2023
NAMESPACE = uuid.UUID("5f0c7d4e-2023-4a50-9240-500240000000")
FUNERAL_UNIT = "殡葬事务中心"
ELDERLY_UNIT = "社会福利中心"
DEMO_ADMIN = "demo-admin"
SEED_ACTOR = Principal(PrincipalKind.user, uuid.uuid5(NAMESPACE, "seed-demo"), "seed-demo", Role.admin, "")

TOWNSHIPS = (
    "南宾街道",
    "万安街道",
    "下路街道",
    "西沱镇",
    "悦崃镇",
    "临溪镇",
    "黄水镇",
    "马武镇",
    "沙子镇",
    "王场镇",
    "沿溪镇",
    "龙沙镇",
    "鱼池镇",
    "三河镇",
    "大歇镇",
    "桥头镇",
    "万朝镇",
    "冷水镇",
    "黎场乡",
    "三星乡",
    "六塘乡",
    "三益乡",
    "王家乡",
    "河嘴乡",
    "石家乡",
    "中益乡",
    "洗新乡",
)
FUNERAL = (
    ("石柱土家族自治县殡仪馆", "殡仪馆", "南宾街道"),
    ("石柱县城南公墓", "公墓", "万安街道"),
    ("石柱县回龙山公益性公墓", "公墓", "下路街道"),
    ("西沱镇公益性骨灰堂", "骨灰堂", "西沱镇"),
    ("悦崃镇公益性公墓", "公墓", "悦崃镇"),
    ("黄水镇公益性公墓", "公墓", "黄水镇"),
    ("临溪镇公益性骨灰堂", "骨灰堂", "临溪镇"),
    ("马武镇公益性公墓", "公墓", "马武镇"),
)
OFFICERS = (
    ("谭明", FUNERAL_UNIT),
    ("马晓东", FUNERAL_UNIT),
    ("秦红", FUNERAL_UNIT),
    ("冉华", FUNERAL_UNIT),
    ("向林", FUNERAL_UNIT),
    ("陈静", FUNERAL_UNIT),
    ("刘洋", FUNERAL_UNIT),
    ("黄燕", ELDERLY_UNIT),
    ("谭春梅", ELDERLY_UNIT),
    ("马骏", ELDERLY_UNIT),
    ("崔平", ELDERLY_UNIT),
    ("余晓燕", ELDERLY_UNIT),
    ("王刚", ELDERLY_UNIT),
    ("杨柳", ELDERLY_UNIT),
    ("周勇", ELDERLY_UNIT),
    ("秦小龙", ELDERLY_UNIT),
    ("冉桂芳", ELDERLY_UNIT),
)
FUNERAL_FINDINGS = (
    (HazardCategory.fire_safety, "灭火器压力不足,需更换"),
    (HazardCategory.management, "火化记录登记不完整"),
    (HazardCategory.building, "墓区挡土墙局部开裂"),
    (HazardCategory.electrical, "告别厅线路老化"),
    (HazardCategory.license, "收费公示内容未及时更新"),
    (HazardCategory.service, "殡葬服务价目表未上墙"),
)
ELDERLY_FINDINGS = (
    (HazardCategory.fire_safety, "消防通道堆放杂物"),
    (HazardCategory.fire_safety, "应急照明灯损坏"),
    (HazardCategory.food, "食品留样记录缺失"),
    (HazardCategory.electrical, "房间私拉乱接电线"),
    (HazardCategory.gas, "厨房燃气报警器未检测"),
    (HazardCategory.medical, "药品未分类存放"),
    (HazardCategory.service, "护理记录填写不规范"),
    (HazardCategory.management, "值班制度未落实"),
    (HazardCategory.building, "卫生间扶手松动"),
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    institutions: int
    officers: int
    inspections: int
    hazards: int
    admin_created: bool


def _id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


def _institutions() -> list[InstitutionCreate]:
    out = [
        InstitutionCreate(
            id=_id("institution", "funeral", i),
            name=name,
            kind=InstitutionKind.funeral,
            category=category,
            region_code=REGION,
            township=township,
            operator_type=OperatorType.public,
        )
        for i, (name, category, township) in enumerate(FUNERAL)
    ]
    for i, township in enumerate(TOWNSHIPS):
        private = i % 9 == 8
        name = f"石柱县{township}{'康乐养老院' if private else '中心敬老院'}"
        out.append(
            InstitutionCreate(
                id=_id("institution", "elderly", i),
                name=name,
                kind=InstitutionKind.elderly_care,
                category="养老院" if private else "敬老院",
                region_code=REGION,
                township=township,
                operator_type=OperatorType.private if private else OperatorType.public,
                beds=40 + (i * 7) % 80,
            )
        )
    return out


def _officers() -> list[OfficerCreate]:
    out = [
        OfficerCreate(
            id=_id("officer", i),
            name=name,
            unit=unit,
            region_code=REGION,
            certificate_no=f"渝民执{500240000 + i + 1}",
            certificate_issued_on=date(2019 + i % 4, 3, 1),
            certificate_expires_on=date(2025 + i % 3, 2, 28),
        )
        for i, (name, unit) in enumerate(OFFICERS)
    ]
    out += [
        OfficerCreate(
            id=_id("officer", "expired"),
            name="彭大成",
            unit=ELDERLY_UNIT,
            region_code=REGION,
            certificate_no="渝民执500239001",
            certificate_issued_on=date(2018, 7, 1),
            certificate_expires_on=date(2023, 6, 30),
        ),
        OfficerCreate(
            id=_id("officer", "revoked"),
            name="龙建",
            unit=FUNERAL_UNIT,
            region_code=REGION,
            certificate_no="渝民执500239002",
            certificate_issued_on=date(2020, 1, 1),
            certificate_expires_on=date(2026, 1, 1),
            certificate_status=CertificateStatus.revoked,
        ),
        OfficerCreate(id=_id("officer", "trainee"), name="何思雨", unit=ELDERLY_UNIT, region_code=REGION),
    ]
    return out


def _spread(rng: random.Random, total: int, buckets: int) -> list[int]:
    """`total` split over `buckets`, each at least one when possible (deterministic)."""
    counts = [1 if total >= buckets else 0] * buckets
    for _ in range(total - sum(counts)):
        counts[rng.randrange(buckets)] += 1
    return counts


def _inspections(
    kind: str,
    institution_ids: list[uuid.UUID],
    officer_ids: list[uuid.UUID],
    visits: int,
    findings: int,
    rng: random.Random,
) -> list[InspectionCreate]:
    per_institution = _spread(rng, visits, len(institution_ids))
    plan = [(inst, n) for inst, count in zip(institution_ids, per_institution, strict=True) for n in range(count)]
    hazards_per_visit = _spread(rng, findings, len(plan))
    catalogue = FUNERAL_FINDINGS if kind == "funeral" else ELDERLY_FINDINGS
    out = []
    for v, ((institution_id, n), hazard_count) in enumerate(zip(plan, hazards_per_visit, strict=True)):
        day = date(YEAR, 1, 4) + timedelta(days=rng.randrange(350))
        pair = rng.sample(officer_ids, 2)
        special = v % 5 == 0
        hazards = []
        for h in range(hazard_count):
            category, text = catalogue[rng.randrange(len(catalogue))]
            severity = Severity.major if rng.random() < 0.08 else Severity.general
            hazards.append(
                HazardCreate(
                    id=_id("hazard", kind, v, h),
                    category=category,
                    severity=severity,
                    description=text,
                    due_on=day + timedelta(days=rng.choice((0, 7, 15, 30))),
                )
            )
        out.append(
            InspectionCreate(
                id=_id("inspection", kind, v),
                institution_id=institution_id,
                inspected_on=day,
                type=InspectionType.special if special else InspectionType.routine,
                campaign=("养老院反诈专项行动" if kind == "elderly" else "安全生产月") if special else None,
                officer_ids=pair,
                summary=f"第{n + 1}次检查",
                hazards=hazards,
            )
        )
    return out


async def _settle(db: Database, hazard_id: uuid.UUID, found_on: date) -> None:
    """Rectify and verify a hazard that has not moved yet (即查即改 for a few: on the day it was found).
    Dates come from an RNG seeded by the hazard id, so an interrupted run resumes with the same dates."""
    async with db.read_session() as session:
        status = await session.scalar(select(Hazard.status).where(Hazard.id == hazard_id))
    if status != HazardStatus.open:
        return
    rng = random.Random(hazard_id.int)  # noqa: S311 (demo data, not security)
    last = date(YEAR, 12, 31)
    rectified = min(found_on + timedelta(days=rng.choice((0, 2, 5, 10, 14))), last)
    verified = min(rectified + timedelta(days=rng.choice((1, 3, 7))), last)
    for action, on, note in ((Action.rectify, rectified, "已整改"), (Action.verify, verified, "整改到位,予以销号")):
        async with db.write_session() as session:
            move = TransitionCreate(action=action, on=on, note=note)
            await hazard_service.transition(
                session, hazard_id, move, None, SEED_ACTOR, effects=transition_effects(db.settings)
            )


async def seed_regions(db: Database) -> None:
    """The county and its townships in the regions register (a second run finds them unchanged)."""
    rows = [ImportRow(1, *COUNTY)] + [
        ImportRow(line, code, name, REGION) for line, (code, name) in enumerate(TOWNSHIP_REGIONS, start=2)
    ]
    async with db.write_session() as session:
        await region_service.import_regions(session, rows, SEED_ACTOR)


async def seed_demo(db: Database, admin_password: str) -> SeedReport:
    rng = random.Random(YEAR)  # noqa: S311 (demo data, not security)
    await seed_regions(db)
    institutions = _institutions()
    officers = _officers()
    for item in institutions:
        async with db.write_session() as session:
            await institution_service.create_institution(session, item, SEED_ACTOR)
    for officer in officers:
        async with db.write_session() as session:
            await officer_service.create_officer(session, officer, SEED_ACTOR)
    roster = officers[: len(OFFICERS)]  # the 17 certified officers
    funeral_team = [o.id for o in roster if o.unit == FUNERAL_UNIT and o.id]
    elderly_team = [o.id for o in roster if o.unit == ELDERLY_UNIT and o.id]
    funeral_ids = [i.id for i in institutions if i.kind == InstitutionKind.funeral and i.id]
    elderly_ids = [i.id for i in institutions if i.kind == InstitutionKind.elderly_care and i.id]
    plans = _inspections("funeral", funeral_ids, funeral_team, 56, 32, rng) + _inspections(
        "elderly", elderly_ids, elderly_team, 111, 141, rng
    )
    hazard_count = 0
    for inspection in plans:
        async with db.write_session() as session:
            await inspection_service.create_inspection(session, inspection, SEED_ACTOR, plan_terms)
        for hazard in inspection.hazards:
            assert hazard.id is not None
            await _settle(db, hazard.id, inspection.inspected_on)
            hazard_count += 1
    admin_created = await _ensure_admin(db, admin_password)
    return SeedReport(len(institutions), len(officers), len(plans), hazard_count, admin_created)


async def annual_paragraph(db: Database) -> str:
    """The demo year's paragraph over the whole data set, as `GET /reports/annual?year=2023` answers it."""
    end = date(YEAR, 12, 31)
    async with db.read_session() as session:
        figures = await report_service.summary(session, Period(date(YEAR, 1, 1), end, end, ""))
    return annual.annual_text(figures, annual.Wording.from_settings(db.settings))


async def _ensure_admin(db: Database, password: str) -> bool:
    async with db.write_session() as session:
        if await session.scalar(select(User.id).where(User.username == DEMO_ADMIN)) is not None:
            return False
        await create_user(
            session,
            UserCreate(username=DEMO_ADMIN, password=password, role=Role.admin, region_code=""),
            actor=None,
            officers=officer_region,
        )
    return True
