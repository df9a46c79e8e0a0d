"""Per-run Prefect machinery shared by flows/ and deployments/: client lanes, the writer lock,
the "Skipped" state, the failure hook, Secret blocks, and every assumption about Prefect's
internals (`runtime.prefect_compat`). Below both flows/ and deployments/ in the import graph,
so neither needs the other to use it."""
