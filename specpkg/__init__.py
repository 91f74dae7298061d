"""Executable specification of SEC Modification SECMP0002 (reset Debt Registers)."""

__version__ = "0.1.0"
