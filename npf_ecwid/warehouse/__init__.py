"""The warehouse port and its adapters."""
