"""The simulator: config → model → studies → outputs (docs/architecture.md)."""
