"""Prefect tasks: one retryable piece of I/O or one pure step each."""
