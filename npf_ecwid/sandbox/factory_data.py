"""Fixed pools the order factory draws from: names, addresses, statuses, shipping options.

Status weights make most orders PAID / AWAITING_PROCESSING while every Ecwid status occurs.
"""

from __future__ import annotations

# (display name, ascii slug for the email)
FIRST_NAMES = [
    ("Olivia", "olivia"),
    ("Jack", "jack"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Mīkaere", "mikaere"),
    ("Aroha", "aroha"),
    ("Liam", "liam"),
    ("Charlotte", "charlotte"),
    ("Noah", "noah"),
    ("Amelia", "amelia"),
    ("William", "william"),
    ("Isla", "isla"),
    ("Thomas", "thomas"),
    ("Mia", "mia"),
    ("Björn", "bjorn"),
    ("Siobhán", "siobhan"),
    ("Yuki", "yuki"),
    ("Priya", "priya"),
    ("Wei", "wei"),
    ("Ngaio", "ngaio"),
    ("Oliver", "oliver"),
    ("Grace", "grace"),
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Nguyễn",
    "O'Brien",
    "Müller",
    "García",
    "Kowalski",
    "Te Rangi",
    "Papadopoulos",
    "Tanaka",
    "Singh",
    "Chen",
    "Kelly",
    "Martin",
    "Anderson",
    "Thompson",
    "Ryan",
    "Walker",
    "Dubois",
    "Ivanović",
    "李",
]
STREETS = [
    "Collins St",
    "High St",
    "George St",
    "Queen St",
    "Church St",
    "Station Rd",
    "Victoria Pde",
    "King William St",
    "Rue de la Paix Ln",
    "Bourke St",
    "Smith St",
]

# (country code, country name, [(city, state code, state name, postcode)], weight)
COUNTRIES: list[tuple[str, str, list[tuple[str, str, str, str]], float]] = [
    (
        "AU",
        "Australia",
        [
            ("Melbourne", "VIC", "Victoria", "3000"),
            ("Fitzroy", "VIC", "Victoria", "3065"),
            ("Geelong", "VIC", "Victoria", "3220"),
            ("Sydney", "NSW", "New South Wales", "2000"),
            ("Newtown", "NSW", "New South Wales", "2042"),
            ("Brisbane", "QLD", "Queensland", "4000"),
            ("Perth", "WA", "Western Australia", "6000"),
            ("Adelaide", "SA", "South Australia", "5000"),
            ("Hobart", "TAS", "Tasmania", "7000"),
            ("Darwin", "NT", "Northern Territory", "0800"),
            ("Canberra", "ACT", "Australian Capital Territory", "2600"),
        ],
        0.84,
    ),
    (
        "NZ",
        "New Zealand",
        [
            ("Auckland", "AUK", "Auckland", "1010"),
            ("Wellington", "WGN", "Wellington", "6011"),
            ("Christchurch", "CAN", "Canterbury", "8011"),
        ],
        0.08,
    ),
    (
        "US",
        "United States",
        [
            ("New York", "NY", "New York", "10001"),
            ("Austin", "TX", "Texas", "78701"),
        ],
        0.04,
    ),
    (
        "GB",
        "United Kingdom",
        [
            ("London", "", "", "EC1A 1BB"),
            ("Manchester", "", "", "M1 1AE"),
        ],
        0.04,
    ),
]

PAYMENT = [
    ("PAID", 78),
    ("AWAITING_PAYMENT", 6),
    ("INCOMPLETE", 5),
    ("CANCELLED", 3),
    ("REFUNDED", 3),
    ("PARTIALLY_REFUNDED", 2),
    ("CUSTOM_PAYMENT_STATUS_1", 1),
    ("CUSTOM_PAYMENT_STATUS_2", 1),
    ("CUSTOM_PAYMENT_STATUS_3", 1),
]
FULFILMENT = [
    ("AWAITING_PROCESSING", 55),
    ("PROCESSING", 8),
    ("SHIPPED", 16),
    ("DELIVERED", 10),
    ("OUT_FOR_DELIVERY", 2),
    ("WILL_NOT_DELIVER", 2),
    ("RETURNED", 2),
    ("CUSTOM_FULFILLMENT_STATUS_1", 1),
    ("CUSTOM_FULFILLMENT_STATUS_2", 1),
    ("CUSTOM_FULFILLMENT_STATUS_3", 1),
]

# `estimatedTransitTime` comes in every shape the docs allow ("Depending on the store settings
# it can be a number, for example, 5 or a string - 4-9 days", `number/string`,
# docs/ecwid/api-reference/rest-api/orders/search-orders.md "shippingOption"): a string range,
# a number, a string with words, and absent (pickup), so every test and the demo parse each one.
SHIPPING_AU = [
    {
        "shippingCarrierName": "Australia Post",
        "shippingMethodName": "Parcel Post",
        "shippingRate": 9.95,
        "estimatedTransitTime": "2-6",
        "isPickup": False,
        "fulfillmentType": "SHIPPING",
    },
    {
        "shippingCarrierName": "Australia Post",
        "shippingMethodName": "Express Post",
        "shippingRate": 14.95,
        "estimatedTransitTime": 2,  # a number
        "isPickup": False,
        "fulfillmentType": "SHIPPING",
    },
    {
        "shippingCarrierName": "StarTrack",
        "shippingMethodName": "StarTrack Premium",
        "shippingRate": 19.5,
        "estimatedTransitTime": "1-2 days",
        "isPickup": False,
        "fulfillmentType": "SHIPPING",
    },
]
SHIPPING_INTL = {
    "shippingCarrierName": "Australia Post",
    "shippingRate": 34.0,
    "shippingMethodName": "International Standard",
    "estimatedTransitTime": "6-15",
    "isPickup": False,
    "fulfillmentType": "SHIPPING",
}
PICKUP = {
    "shippingMethodName": "Pick up at NPF warehouse",
    "shippingRate": 0.0,
    "isPickup": True,
    "fulfillmentType": "PICKUP",
    "pickupInstruction": "Collect from 12 Dock Rd, Port Melbourne, 9am-5pm weekdays",
}
