# One image for the API, the worker and the simulated bank; the command picks the role.
# Build with `make image` (it passes GIT_COMMIT, the code version every determination records).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's libraries for the PDF notices (Pango, HarfBuzz subsetting, fontconfig with them)
# and fonts: Noto CJK for the Chinese text, DejaVu for the rest. Debian's current versions.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-noto-cjk fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# the user the processes run as; data/ is the only place it writes (the bank's SQLite volume)
RUN useradd --create-home --uid 10001 app && mkdir -p /app/data && chown app:app /app/data

# Dependencies first, pinned and hash-checked (requirements.lock, from `make lock`), so code
# edits reuse this layer; then the project's own metadata (its version: packages = []).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml ./
RUN pip install --no-deps .

# The code (.dockerignore leaves out tests/, bench/ and development files).
COPY . .
# The commit the image is built from, read by core/version.py (an image has no .git).
ARG GIT_COMMIT
LABEL org.opencontainers.image.revision=$GIT_COMMIT
# Then bytecode for the workflow modules, which the worker's sandbox imports for every workflow
# instance (the app user cannot write __pycache__ here; core/bytecode.py).
RUN python -m core.version "$GIT_COMMIT" && python -m compileall -q -j 0 /app
USER 10001

ENV APP_ENV=production
# API processes (api.serve, each uvicorn on its own socket): about one per core of the API host
ENV WEB_CONCURRENCY=1
EXPOSE 8000
CMD ["python", "-m", "api.serve", "--host", "0.0.0.0", "--port", "8000"]
