"""Nightly settlement: captured payments → one payout per merchant."""


def batch(payments):
    out = {}
    for p in payments:
        out.setdefault(p.merchant, []).append(p)
    return out
