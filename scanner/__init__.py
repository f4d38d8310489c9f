"""The CookieGate scanner: crawls a site in three consent states and reports its cookies.

It shares no code with the `cookiegate` service: it reads the registry export (JSON) and
writes a report (JSON), over files or HTTP. As a library:

    from scanner import Registry, ScanOptions, scan
    report = scan(ScanOptions(urls=["https://www.example.com/"]), Registry.load("registry.json"))
"""

__version__ = "0.1.0"

from scanner.crawl import ScanOptions
from scanner.registry import Registry
from scanner.scan import scan

__all__ = ["Registry", "ScanOptions", "__version__", "scan"]
