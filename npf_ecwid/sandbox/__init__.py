"""A faithful Ecwid v3 emulator for tests, the demo and benchmarks. Never used in production."""
