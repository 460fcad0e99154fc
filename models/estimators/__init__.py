"""Forecasting model families sharing one contract (see :mod:`models.estimators.base`)."""
