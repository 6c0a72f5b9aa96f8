"""rm-plugin: reverse mentoring inside the platforms a company already runs."""

__version__ = "0.1.0"
