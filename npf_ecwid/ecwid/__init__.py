"""Ecwid REST API v3 client and response models."""
