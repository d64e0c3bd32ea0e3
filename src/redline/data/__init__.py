"""Reference data shipped with the package (see PROVENANCE.md)."""
