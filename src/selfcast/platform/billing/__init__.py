"""Credits: pricing (products from settings) and the append-only ledger with holds."""
