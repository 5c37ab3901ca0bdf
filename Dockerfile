# One image for the API, the worker and (later) the simulated bank; the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (from pyproject.toml, the source of truth), so code edits reuse this layer.
COPY pyproject.toml ./
RUN pip install .

COPY . .
# bytecode for the workflow modules, which the worker's sandbox imports for every workflow
# instance (the app user cannot write __pycache__ here; core/bytecode.py)
RUN python -m compileall -q -j 0 /app
RUN useradd --create-home --uid 10001 app && mkdir -p /app/data && chown app:app /app/data
USER app

ENV APP_ENV=production
# API processes (api.serve, each uvicorn on its own socket): about one per core of the API host
ENV WEB_CONCURRENCY=1
EXPOSE 8000
CMD ["python", "-m", "api.serve", "--host", "0.0.0.0", "--port", "8000"]
