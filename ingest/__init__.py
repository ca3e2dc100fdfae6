"""Data in: importing official and provider care-home lists (CSV, XLSX) through one adapter per format."""
