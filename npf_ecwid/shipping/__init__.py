"""Ecwid custom shipping-rates app."""
