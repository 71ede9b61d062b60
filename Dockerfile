# syntax=docker/dockerfile:1
# inspection-tracker image: `docker compose up` (see docker-compose.yml) or
#   docker build -t inspection-tracker . && docker run -e DATABASE_URL=… -e SECRET_KEY=… -p 8000:8000 inspection-tracker
# `serve` applies pending migrations before it starts listening.

# --- build: install the project (non-editable, no dev extras) into a self-contained venv ---------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# README.md* LICENSE* : the long description and the licence file the wheel carries; the globs keep the build
# working without them.
COPY pyproject.toml README.md* LICENSE* ./
COPY app ./app
COPY migrations ./migrations
# Wheels exist for every compiled dependency (asyncpg, argon2-cffi, uvloop, httptools) on amd64 and arm64,
# so no compiler is needed. The wheel carries the `app` and `migrations` packages side by side in
# site-packages, which is where app/db/migrate.py looks for the Alembic scripts.
RUN pip install . \
    && python -c "from app.db.migrate import head_revision; assert head_revision(), 'no migrations packaged'" \
    && python -c "from app.web.docs import STATIC_DIR; assert any(STATIC_DIR.glob('vendor/*/*.js')), 'no docs assets packaged'"

# --- runtime ----------------------------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data

COPY --from=build /opt/venv /opt/venv

# An empty working directory: Settings also reads `.env` from the current directory.
WORKDIR /app
# Numeric, so runtimes can verify it is not root (e.g. Kubernetes runAsNonRoot).
USER 10001:10001

# Evidence files, and the SQLite file and generated secret key when DATABASE_URL is not set.
# Docker seeds a new named volume from this directory, so it starts out owned by the app user.
VOLUME ["/data"]
EXPOSE 8000

# Liveness only (the process answers); docker-compose.yml checks /readyz (database up, schema at head).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["inspection-tracker", "serve", "--host", "0.0.0.0", "--port", "8000"]
