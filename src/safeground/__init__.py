"""safeground: hazard register, land release and reconstruction for mine action."""

__version__ = "0.1.0"
