"""The `regional` family (being built; see ../shared/DESIGN.md)."""
