# The same server as `make run`, for containers. Build: docker build -t catalog-gateway .
# Demo (built-in emulators, GraphiQL, anonymous reads):
#   docker run --rm -p 8000:8000 -e GATEWAY_DEVELOPMENT_MODE=true catalog-gateway
# Production: see README, "Docker".
# A patch-level tag on a named Debian release, so a rebuild takes the same Python and OS.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    GATEWAY_DATABASE=/var/lib/gateway/gateway.sqlite3

WORKDIR /app
# constraints.txt: the versions `make` and CI install (`make lock`), so the image runs what was tested.
COPY pyproject.toml README.md constraints.txt ./
COPY gateway ./gateway
# Example extensions (GATEWAY_EXTENSIONS=examples.computed_field): imported from /app, the
# working directory; mount your own beside them (-v ./my_ext.py:/app/my_ext.py:ro).
COPY examples ./examples
RUN pip install --no-compile -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /app gateway \
    && mkdir -p /var/lib/gateway \
    && chown 10001 /var/lib/gateway

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GATEWAY_PORT', '8000'), timeout=2)"]

ENTRYPOINT ["gateway"]
CMD ["serve"]
