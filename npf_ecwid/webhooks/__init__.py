"""Ecwid webhooks: verify, filter and turn order events into a (debounced) order sync."""
