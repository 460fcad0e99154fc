"""threatcast domain core: schemas, taxonomy, regions, panel, estimators and the forecast bundle.

This package is pure: it performs no tracking, serves no HTTP and imports neither ``training`` nor
``service``.
"""
