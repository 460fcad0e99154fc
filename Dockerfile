# threatcast forecast service.
#   docker build -t threatcast .
#   docker run -p 8000:8000 -e THREATCAST_TRACKING_URI=http://mlflow:5000 threatcast
# The model (THREATCAST_MODEL_URI, default models:/threatcast@champion) is loaded from the MLflow
# store at THREATCAST_TRACKING_URI (or MLFLOW_TRACKING_URI) when the container starts.
# The image holds the `models` and `service` packages only: no training code, no command line.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/threatcast
COPY pyproject.toml constraints.txt README.md ./
COPY models ./models
COPY service ./service
RUN /opt/threatcast/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/threatcast/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    THREATCAST_MODEL_URI=models:/threatcast@champion \
    THREATCAST_TRACKING_URI=sqlite:////data/mlflow/mlflow.db
RUN groupadd --system --gid 10001 threatcast \
    && useradd --system --uid 10001 --gid threatcast --home-dir /home/threatcast --create-home threatcast \
    && mkdir -p /data/mlflow \
    && chown -R threatcast:threatcast /data
COPY --from=build /opt/threatcast /opt/threatcast
USER 10001:10001
WORKDIR /home/threatcast
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["python", "-m", "service", "--host", "0.0.0.0", "--port", "8000"]
