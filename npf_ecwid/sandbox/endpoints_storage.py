"""Application storage: the app's own key/value pairs per store.

As documented in docs/ecwid/api-reference/rest-api/application/:
- `GET /storage` (get-all-app-storage-data.md) and `GET /storage/{key}`
  (get-specific-app-storage-data.md), scope `read_store_profile`: a JSON array of
  `{key, value}` objects (the doc says array for the specific key too; unknown key: 404);
- `POST /storage/{key}` (add-app-storage-data.md; "if specified key exists, request will rewrite
  its value") and `PUT /storage/{key}` (update-specific-app-storage-data.md), scope
  `update_store_profile`, body `{"value": string}`, at most 1 MB (the `public` key: 256 KB);
  answer `{"success": true}`;
- `DELETE /storage/{key}` (delete-specific-app-storage-data.md), `{"success": true}`.
What Ecwid then sends back to the shipping URL as `merchantAppSettings` is this store's whole
storage (`SandboxStore.merchant_app_settings`).
"""

from __future__ import annotations

from typing import Any

from npf_ecwid.sandbox.errors import bad_param, not_found
from npf_ecwid.sandbox.router import Call, route

PUBLIC_KEY = "public"  # readable on the storefront
MAX_PRIVATE_BYTES = 1024 * 1024
MAX_PUBLIC_BYTES = 256 * 1024


@route("GET", "/storage", "read_store_profile")
def get_all_storage(call: Call) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in call.store.app_storage.items()]


@route("GET", "/storage/{key}", "read_store_profile")
def get_storage(call: Call) -> list[dict[str, str]]:
    key = call.params["key"]
    if key not in call.store.app_storage:
        raise not_found("STORAGE_KEY_NOT_FOUND", f"App storage key '{key}' not found")
    return [{"key": key, "value": call.store.app_storage[key]}]


def _put(call: Call) -> dict[str, Any]:
    key = call.params["key"]
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("value"), str):
        raise bad_param("Request body must be a JSON object with a string 'value'")
    limit = MAX_PUBLIC_BYTES if key == PUBLIC_KEY else MAX_PRIVATE_BYTES
    if len(body["value"].encode()) > limit:
        raise bad_param(f"Value for '{key}' is over the {limit} byte limit")
    call.store.app_storage[key] = body["value"]
    return {"success": True}


route("POST", "/storage/{key}", "update_store_profile")(_put)
route("PUT", "/storage/{key}", "update_store_profile")(_put)


@route("DELETE", "/storage/{key}", "update_store_profile")
def delete_storage(call: Call) -> dict[str, Any]:
    call.store.app_storage.pop(call.params["key"], None)
    return {"success": True}
