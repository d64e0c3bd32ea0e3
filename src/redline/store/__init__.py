"""Results database: ensemble runs stored in DuckDB (one file)."""

from redline.store.duckdb_store import (
    DEFAULT_DB,
    SCHEMA_VERSION,
    StoreBusy,
    StoreError,
    check_storable,
    delete_run,
    list_runs,
    load_run,
    save_result,
)

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "StoreBusy", "StoreError", "check_storable",
           "delete_run", "list_runs", "load_run", "save_result"]
