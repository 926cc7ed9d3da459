# The gateway image. The SQL files travel with the package (the installer reads ../sql).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY sql ./sql
RUN pip install --no-cache-dir -e . && useradd --system --no-create-home leadarchive
USER leadarchive
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["lead-archive", "serve", "--host", "0.0.0.0", "--port", "8000"]
