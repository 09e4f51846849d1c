"""The package version (single source for pyproject.toml and the file's producer)."""

__version__ = "0.1.0"
