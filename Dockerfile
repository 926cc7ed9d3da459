# The gateway image. Stage one builds the wheel (SQL included, as package data); stage two
# installs the exact versions of requirements/runtime.txt (hashes checked), then the wheel
# without resolving anything more. tests/release/test_wheel.py runs these RUN lines in fresh venvs:
# keep them to pip with paths relative to WORKDIR.
FROM python:3.11-slim AS build
WORKDIR /build
COPY requirements/build.txt requirements/build.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/build.txt
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY sql ./sql
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir dist .

FROM python:3.11-slim
WORKDIR /opt/lead-archive
COPY requirements/runtime.txt requirements.txt
RUN pip install --no-cache-dir --require-hashes -r requirements.txt
COPY --from=build /build/dist dist
RUN pip install --no-cache-dir --no-deps dist/*.whl
RUN useradd --system --no-create-home leadarchive
WORKDIR /
USER leadarchive
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["lead-archive", "serve", "--host", "0.0.0.0", "--port", "8000"]
