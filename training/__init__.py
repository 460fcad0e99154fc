"""threatcast training: source readers, ingestion, the events -> panel loader, backtests, MLflow tracking."""
