"""The `offloading` family (being built; see ../shared/DESIGN.md)."""
