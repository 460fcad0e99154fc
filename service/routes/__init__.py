"""HTTP routes, one module per resource; each stays thin and reads precomputed lookups."""
