"""threatcast edges: source readers, ingestion, backtests, training pipelines, MLflow tracking, CLI."""
