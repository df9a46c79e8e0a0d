"""npf-ecwid: connects Ecwid stores to the NPF warehouse."""

__version__ = "0.1.0"
