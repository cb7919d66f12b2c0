FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 playbooks
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY mattermost_sim ./mattermost_sim
RUN pip install '.[postgres]'

USER playbooks
WORKDIR /home/playbooks
EXPOSE 8080
# Configuration comes from /etc/playbooks-bot/config.yaml (mount it) and PLAYBOOKS_* variables.
CMD ["playbooks-bot", "serve", "--config", "/etc/playbooks-bot/config.yaml"]
