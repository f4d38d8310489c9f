"""First or third party: by registrable domain (Public Suffix List bundled with tldextract,
never downloaded) and the site's own domains."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import tldextract

# suffix_list_urls=() keeps tldextract to the snapshot it ships: no network at scan time
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str:
    """example.co.uk for www.shop.example.co.uk; the host itself for IPs, localhost, *.test."""
    host = host.lstrip(".").lower().rstrip(".")
    parts = _EXTRACT(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    labels = host.split(".")
    # names without a public suffix (fixture *.test hosts, intranets): the last two labels
    return ".".join(labels[-2:]) if len(labels) >= 2 and not host.replace(".", "").isdigit() \
        else host


class Parties:
    """Which hosts belong to the scanned site."""

    def __init__(self, site_hosts: Iterable[str]) -> None:
        self.site_domains = {registrable_domain(h) for h in site_hosts if h}

    def is_first_party(self, host: str) -> bool:
        return registrable_domain(host) in self.site_domains

    def party(self, host: str) -> str:
        return "first" if self.is_first_party(host) else "third"
