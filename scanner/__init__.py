"""The CookieGate scanner: crawls a site in three consent states and reports its cookies.

It shares no code with the `cookiegate` service: it reads the registry export (JSON) and
writes a report (JSON), over files or HTTP.
"""

__version__ = "0.1.0"
