"""Which redirects a health check follows: the same host (and port), or its https upgrade."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from activities.health_checks import _same_host


@pytest.mark.parametrize(
    ("origin", "target", "followed"),
    [
        ("https://shop.example.com/health", "https://shop.example.com/healthz", True),
        ("https://shop.example.com/health", "https://shop.example.com:443/healthz", True),
        ("http://shop.example.com:80/health", "http://shop.example.com/healthz", True),
        ("http://shop.example.com/health", "https://shop.example.com/health", True),
        ("http://shop.example.com/health", "https://SHOP.example.com:443/health", True),
        ("https://shop.example.com/health", "https://shop.example.com:8443/health", False),
        ("https://shop.example.com/health", "http://shop.example.com/health", False),
        ("https://shop.example.com/health", "https://evil.example.com/health", False),
        ("http://127.0.0.1:8080/health", "http://169.254.169.254/metadata", False),
    ],
)
def test_only_same_host_redirects_are_followed(origin: str, target: str, followed: bool) -> None:
    assert _same_host(urlsplit(origin), urlsplit(target)) is followed
