"""The `routing` family (being built; see ../shared/DESIGN.md)."""
