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
from redline.store.sweeps import begin_sweep, list_sweeps

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "StoreBusy", "StoreError", "begin_sweep",
           "check_storable", "delete_run", "list_runs", "list_sweeps", "load_run", "save_result"]
