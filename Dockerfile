# The same server as `make run`, for containers. Build: docker build -t catalog-gateway .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    GATEWAY_DATABASE=/var/lib/gateway/gateway.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY schema ./schema
RUN pip install --no-compile . \
    && useradd --system --uid 10001 --home-dir /app gateway \
    && mkdir -p /var/lib/gateway \
    && chown gateway /var/lib/gateway

USER gateway
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GATEWAY_PORT', '8000'), timeout=2)"

ENTRYPOINT ["gateway"]
CMD ["serve"]
