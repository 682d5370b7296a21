"""Realistic Amazon.in data: places with their postal codes and GST state codes, buyers, products."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    postal_codes: tuple[str, ...]
    gst_state_code: str


PLACES: tuple[Place, ...] = (
    Place("MUMBAI", "MAHARASHTRA", ("400001", "400050", "400076", "400093"), "27"),
    Place("PUNE", "MAHARASHTRA", ("411001", "411014", "411038"), "27"),
    Place("BENGALURU", "KARNATAKA", ("560001", "560034", "560066", "560103"), "29"),
    Place("NEW DELHI", "DELHI", ("110001", "110017", "110025", "110075"), "07"),
    Place("GURUGRAM", "HARYANA", ("122001", "122002", "122018"), "06"),
    Place("NOIDA", "UTTAR PRADESH", ("201301", "201304"), "09"),
    Place("LUCKNOW", "UTTAR PRADESH", ("226001", "226010"), "09"),
    Place("CHENNAI", "TAMIL NADU", ("600001", "600028", "600041", "600096"), "33"),
    Place("COIMBATORE", "TAMIL NADU", ("641001", "641018"), "33"),
    Place("HYDERABAD", "TELANGANA", ("500001", "500032", "500081"), "36"),
    Place("KOLKATA", "WEST BENGAL", ("700001", "700019", "700091"), "19"),
    Place("AHMEDABAD", "GUJARAT", ("380001", "380009", "380015"), "24"),
    Place("JAIPUR", "RAJASTHAN", ("302001", "302017"), "08"),
    Place("KOCHI", "KERALA", ("682001", "682024"), "32"),
    Place("BHUBANESWAR", "ODISHA", ("751001", "751024"), "21"),
    Place("CHANDIGARH", "CHANDIGARH", ("160017", "160022"), "04"),
    Place("INDORE", "MADHYA PRADESH", ("452001", "452010"), "23"),
    Place("GUWAHATI", "ASSAM", ("781001", "781006"), "18"),
)

STREETS: tuple[str, ...] = (
    "MG Road",
    "Link Road",
    "Station Road",
    "Nehru Nagar",
    "Gandhi Marg",
    "Sector 18",
    "Park Street",
    "Anna Salai",
    "Banjara Hills Road No 12",
    "Koramangala 5th Block",
    "Civil Lines",
    "Salt Lake Sector V",
)

FIRST_NAMES: tuple[str, ...] = (
    "Aarav",
    "Priya",
    "Rohan",
    "Ananya",
    "Vikram",
    "Sneha",
    "Arjun",
    "Kavya",
    "Rahul",
    "Meera",
    "Siddharth",
    "Pooja",
    "Karthik",
    "Divya",
    "Amit",
    "Neha",
)
LAST_NAMES: tuple[str, ...] = (
    "Sharma",
    "Iyer",
    "Patel",
    "Reddy",
    "Gupta",
    "Nair",
    "Singh",
    "Mukherjee",
    "Khan",
    "Desai",
    "Menon",
    "Verma",
)
COMPANIES: tuple[str, ...] = (
    "Shree Balaji Traders Pvt Ltd",
    "Kaveri Office Supplies LLP",
    "Sahyadri Retail Pvt Ltd",
    "Ganga Enterprises",
    "Techno Solutions India Pvt Ltd",
)


@dataclass(frozen=True)
class Product:
    asin: str
    sku: str
    title: str
    price: Decimal
    """Unit price as the buyer sees it on Amazon.in: GST included."""
    gst_rate: Decimal


PRODUCTS: tuple[Product, ...] = (
    Product("B0CX7K2M4Q", "TEA-ASSAM-500G", "Assam CTC Tea, 500 g Pouch", Decimal("349.00"), Decimal("0.05")),
    Product(
        "B0BRN8Z1TD", "KURTA-COT-BLU-L", "Men's Cotton Kurta, Indigo Blue, Size L", Decimal("899.00"), Decimal("0.12")
    ),
    Product(
        "B09V3KX7PL",
        "BOTTLE-SS-1L",
        "Stainless Steel Insulated Water Bottle, 1 Litre",
        Decimal("649.00"),
        Decimal("0.18"),
    ),
    Product("B0C1H4TZ6N", "EARBUDS-BT-BLK", "Wireless Bluetooth Earbuds, Black", Decimal("1499.00"), Decimal("0.18")),
    Product(
        "B08L5WJD2R", "NOTEBOOK-A5-PK6", "A5 Ruled Notebooks, Pack of 6, 172 Pages", Decimal("299.00"), Decimal("0.12")
    ),
    Product(
        "B0D2M9QX3F",
        "SAREE-SILK-RED",
        "Banarasi Art Silk Saree with Blouse Piece, Red",
        Decimal("1899.00"),
        Decimal("0.05"),
    ),
    Product(
        "B07ZPKN6YR",
        "MIXER-750W",
        "Mixer Grinder 750 W with 3 Stainless Steel Jars",
        Decimal("3299.00"),
        Decimal("0.18"),
    ),
    Product("B0BDJ6N5VZ", "GHEE-COW-1L", "Pure Cow Ghee, 1 Litre Tin", Decimal("629.00"), Decimal("0.12")),
)

# Seller warehouse used as DefaultShipFromLocationAddress for merchant-fulfilled orders.
WAREHOUSE = {
    "Name": "Demo Seller Warehouse",
    "AddressLine1": "Plot 42, KIADB Industrial Area",
    "AddressLine2": "Bommasandra",
    "City": "BENGALURU",
    "StateOrRegion": "KARNATAKA",
    "PostalCode": "560099",
    "CountryCode": "IN",
    "Phone": "+91 80 4123 4567",
    "AddressType": "Commercial",
}

_GSTIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gstin_check_digit(first14: str) -> str:
    """The GSTIN checksum character (mod 36, alternating weights 1 and 2)."""
    total = 0
    for i, char in enumerate(first14):
        product = _GSTIN_CHARS.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _GSTIN_CHARS[(36 - total % 36) % 36]


def gstin(state_code: str, pan: str) -> str:
    """A well-formed GSTIN: state code, PAN, entity number, ``Z``, check digit."""
    first14 = f"{state_code}{pan}1Z"
    return first14 + gstin_check_digit(first14)
