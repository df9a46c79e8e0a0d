"""Quarantine entries that carry each order exactly as Ecwid sent it.

Operators debug a held-back order with its `raw_json`, so it must be Ecwid's own text, unknown
fields included, not our model re-serialised (which drops every field the model does not
declare). Two kinds of order are held back:

- unreadable: the client could not parse it; the page's own item is kept (`UnreadableItem`);
- invalid: it parsed, but the warehouse cannot act on it (`validate.find_problems`). The
  client parses pages straight into models and keeps no text, so the few invalid orders are
  read again, one `GET /orders/{id}` each (`EcwidAPI.get_order_json`): a handful of requests
  for the rare bad order instead of holding every page's bytes for the whole pull.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from npf_ecwid.ecwid.api import EcwidAPI
from npf_ecwid.ecwid.errors import EcwidNotFound
from npf_ecwid.orders.ports import Quarantined

log = logging.getLogger("npf_ecwid.orders")


@dataclass(frozen=True)
class Invalid:
    """An order that parsed but failed validation; `reason` lists every problem found."""

    ecwid_order_id: str
    reason: str
    ecwid_updated_at: datetime | None = None


async def read_as_sent(ecwid: EcwidAPI, invalid: Sequence[Invalid]) -> list[Quarantined]:
    """One quarantine entry per invalid order, `raw_json` read back from Ecwid as it sends it.

    The copy read back may be newer than the one validated (edited in between): it is what
    Ecwid holds now, and the next run pulls that version and re-validates it (`updateDate`
    moved past the watermark), so the entry is refreshed then. An order Ecwid no longer has
    (404: deleted in between) is still quarantined, its `raw_json` saying so, so it never
    silently disappears. Other Ecwid errors raise: the run fails and the next one retries
    from the unchanged watermark (nothing was committed)."""

    async def one(entry: Invalid) -> Quarantined:
        try:
            raw = await ecwid.get_order_json(entry.ecwid_order_id)
        except EcwidNotFound:
            log.warning("order %s: gone from Ecwid when read back", entry.ecwid_order_id)
            raw = json.dumps({"id": entry.ecwid_order_id, "note": "not found in Ecwid"})
        return Quarantined(entry.ecwid_order_id, entry.reason, raw, entry.ecwid_updated_at)

    return list(await asyncio.gather(*(one(entry) for entry in invalid)))
