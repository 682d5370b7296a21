"""Zoho's data centres as data: real hosts, defaults for new organisations, and the sandbox listeners.

Every data centre has its own accounts server and API domain. The sandbox serves each on its own
listener (``accounts:<dc>`` and ``api:<dc>``), so a URL alone tells which data centre was called.
Adding a data centre is one row here and two listener entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.ports import DEFAULT_PORTS, ZOHO_DATA_CENTRES


@dataclass(frozen=True)
class DataCentre:
    code: str
    name: str
    accounts_host: str
    api_host: str
    time_zone: str
    currency_code: str
    currency_symbol: str
    country: str

    @property
    def real_accounts_url(self) -> str:
        return f"https://{self.accounts_host}"

    @property
    def real_api_domain(self) -> str:
        return f"https://{self.api_host}"

    @property
    def accounts_listener(self) -> str:
        return f"accounts:{self.code}"

    @property
    def api_listener(self) -> str:
        return f"api:{self.code}"


DATA_CENTRES: dict[str, DataCentre] = {
    dc.code: dc
    for dc in (
        DataCentre(
            "us", "United States", "accounts.zoho.com", "www.zohoapis.com", "America/New_York", "USD", "$", "U.S.A"
        ),
        DataCentre("eu", "Europe", "accounts.zoho.eu", "www.zohoapis.eu", "Europe/Berlin", "EUR", "€", "Germany"),
        DataCentre("in", "India", "accounts.zoho.in", "www.zohoapis.in", "Asia/Kolkata", "INR", "₹", "India"),
        DataCentre(
            "au",
            "Australia",
            "accounts.zoho.com.au",
            "www.zohoapis.com.au",
            "Australia/Sydney",
            "AUD",
            "$",
            "Australia",
        ),
        DataCentre("jp", "Japan", "accounts.zoho.jp", "www.zohoapis.jp", "Asia/Tokyo", "JPY", "¥", "Japan"),
        DataCentre("ca", "Canada", "accounts.zohocloud.ca", "www.zohoapis.ca", "America/Toronto", "CAD", "$", "Canada"),
        DataCentre("cn", "China", "accounts.zoho.com.cn", "www.zohoapis.com.cn", "Asia/Shanghai", "CNY", "¥", "China"),
        DataCentre(
            "sa", "Saudi Arabia", "accounts.zoho.sa", "www.zohoapis.sa", "Asia/Riyadh", "SAR", "SAR", "Saudi Arabia"
        ),
    )
}

LISTENERS: dict[str, int] = DEFAULT_PORTS["zoho"]
assert tuple(DATA_CENTRES) == ZOHO_DATA_CENTRES, "sandbox/ports.py and the data-centre table must agree"


def split_listener(listener: str) -> tuple[str, str]:
    """``"api:in"`` → ``("api", "in")``."""
    role, _, code = listener.partition(":")
    return role, code
