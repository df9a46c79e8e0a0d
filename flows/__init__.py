"""Prefect flows: thin orchestration of tasks."""
