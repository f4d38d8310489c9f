"""What the ledger keeps about the visitor: a truncated IP and a coarse user-agent description.

IPv4 addresses keep their /24 network, IPv6 their /48, so a record shows roughly where a
choice came from without identifying the device. User-agent parsing is slow, so parses are
cached; the same few hundred strings cover most traffic.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from user_agents import parse as parse_user_agent

MAX_USER_AGENT = 512


@dataclass(frozen=True)
class Visitor:
    ip_truncated: str | None
    ua_family: str | None
    ua_os: str | None
    ua_device: str | None


def truncate_ip(address: str | None) -> str | None:
    if not address:
        return None
    octets = address.split(".")
    if len(octets) == 4 and all(o.isdigit() and len(o) <= 3 and int(o) < 256 and
                                (o == "0" or not o.startswith("0")) for o in octets):
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0/24"  # the common case, without ipaddress
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=4096)
def describe_user_agent(user_agent: str) -> tuple[str, str, str]:
    """(browser family, OS family, device class) for a User-Agent header."""
    if not user_agent:
        return ("Other", "Other", "other")
    parsed = parse_user_agent(user_agent[:MAX_USER_AGENT])
    if parsed.is_bot:
        device = "bot"
    elif parsed.is_tablet:
        device = "tablet"
    elif parsed.is_mobile:
        device = "mobile"
    elif parsed.is_pc:
        device = "desktop"
    else:
        device = "other"
    return (parsed.browser.family[:100], parsed.os.family[:100], device)


def describe_visitor(remote_addr: str | None, user_agent: str | None) -> Visitor:
    family, os_family, device = describe_user_agent((user_agent or "")[:MAX_USER_AGENT])
    return Visitor(ip_truncated=truncate_ip(remote_addr), ua_family=family, ua_os=os_family,
                   ua_device=device)
