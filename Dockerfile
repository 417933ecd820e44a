# One image for every process of the hub; the command picks which: `core`, `http`, `bots`,
# `migrate`, `up` (all in one container) or an admin command such as `tenant list`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY sdk sdk
COPY core_server core_server
COPY http_gateway http_gateway
COPY bot_gateway bot_gateway
COPY billing_hub billing_hub
RUN pip install . && rm -rf /src

# the hub never needs root; /data holds the embedded SQLite database and key files when no
# PostgreSQL is configured
RUN useradd --system --uid 10001 --home-dir /data --create-home hub
USER hub
WORKDIR /data
ENV BILLING_HUB_DATA_DIR=/data \
    BILLING_HUB_LOG_FORMAT=json
VOLUME ["/data"]

ENTRYPOINT ["billing-hub"]
CMD ["up"]
