"""threatcast HTTP service: loads the champion bundle and answers risk forecasts by region."""
