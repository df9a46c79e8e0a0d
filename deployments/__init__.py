"""Builds one Prefect deployment per client per flow from the clients file."""
