# firwatch service image: API + scheduler. Build: docker build -t firwatch .
# Dependencies come from requirements.lock (make lock) in a layer of their own, so a code change
# rebuilds only the last layers; migrations are a one-off `firwatch db upgrade` (compose's `migrate`).
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FIRWATCH_CONFIG=/app/config.yaml \
    FIRWATCH_API__HOST=0.0.0.0 \
    FIRWATCH_AUTO_MIGRATE=false

WORKDIR /app
RUN useradd --create-home --uid 10001 firwatch

COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY service ./service
COPY migrations ./migrations
COPY alembic.ini config.yaml ./
COPY seeds ./seeds
RUN pip install --no-cache-dir --no-deps . \
    && mkdir -p /app/var \
    && chown -R firwatch:firwatch /app/var

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["firwatch"]
CMD ["serve"]
