"""The `placement` family (being built; see ../shared/DESIGN.md)."""
