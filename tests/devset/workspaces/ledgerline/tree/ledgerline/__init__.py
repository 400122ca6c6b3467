"""Ledgerline payments backend."""
