"""Onboarding a client store: write its clients-file table, store its token, check access."""
