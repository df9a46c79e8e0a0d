"""Order pull: filters, validation, incremental pull planning and the hand-off."""
