"""Ecwid REST API v3 client and response models.

Import from the submodules (`client`, `errors`, `factory`, `models`, `ratelimit`); this
package module stays import-light.
"""
