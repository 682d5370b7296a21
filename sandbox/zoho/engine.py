"""One engine for every Inventory/Books resource: list, get, create, update, upsert, delete, status actions.

Paths are resolved against the catalogue (``catalogue.py``); the behaviour named by the resource adds
what is specific to it. Every handler returns ``(status, body)`` in Zoho's envelope or raises ZohoError.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.zoho import errors, records
from sandbox.zoho.behaviour import Behaviour, Ctx
from sandbox.zoho.catalogue import BY_PATH, Resource, table_of
from sandbox.zoho.formats import as_id, number, parse_date

Result = tuple[int, dict[str, Any]]

DATE_FIELDS = (
    "date",
    "shipment_date",
    "due_date",
    "journal_date",
    "delivery_date",
    "expected_delivery_date",
    "payment_date",
)
ALWAYS_PROTECTED = frozenset(
    {"created_time", "last_modified_time", "custom_fields", "custom_field_hash", "line_items", "status"}
)


def invalid_url() -> errors.ZohoError:
    return errors.ZohoError(404, "invalid_url", "Invalid URL Passed")


def resolve(segments: list[str], product: str) -> tuple[Resource, list[str]]:
    """The resource a path names and the segments after it; ``Invalid URL Passed`` otherwise."""
    for width in (2, 1):
        path = "/".join(segments[:width])
        res = BY_PATH.get(path)
        if res is not None and len(segments) >= width and product in res.products:
            return res, segments[width:]
    raise invalid_url()


def operation(method: str, rest: list[str]) -> str:
    """The scope operation a call needs (status changes and sub-resources need UPDATE/CREATE)."""
    if method == "GET":
        return "READ"
    if method == "DELETE":
        return "DELETE"
    if method == "PUT" or (rest and method == "POST"):
        return "UPDATE"
    return "CREATE"


class Engine:
    def __init__(self, behaviours: dict[str, Behaviour]) -> None:
        self.behaviours = behaviours

    def of(self, res: Resource) -> Behaviour:
        return self.behaviours.get(res.behaviour) or self.behaviours["plain"]

    # ----------------------------------------------------------------- dispatch
    def handle(self, ctx: Ctx, res: Resource, rest: list[str], method: str, body: dict[str, Any]) -> Result:
        if not rest:
            if method == "GET":
                return self.list(ctx, res)
            if method == "POST" and not res.read_only:
                return self.create(ctx, res, body)
            if method == "PUT" and res.upsert:
                return self.upsert(ctx, res, body)
            if method == "DELETE" and res.bulk_delete:
                return self.bulk_delete(ctx, res)
            raise _method(method)
        if len(rest) == 2 and rest[0] == "status" and method == "POST" and rest[1] in res.actions:
            return self.bulk_action(ctx, res, rest[1])
        record_id = as_id(rest[0])
        record = ctx.record(table_of(res), record_id, res.label)
        if len(rest) == 1:
            if method == "GET":
                return 200, {"code": 0, "message": "success", res.singular: self.render(ctx, res, record)}
            if method == "PUT" and not res.read_only:
                return self.update(ctx, res, record, body)
            if method == "DELETE" and not res.read_only:
                return self.delete(ctx, res, record)
            raise _method(method)
        if len(rest) == 3 and rest[1] == "status" and method == "POST":
            action = res.actions.get(rest[2])
            if action is None or not action.under_status:
                raise invalid_url()
            return self.action(ctx, res, record, rest[2])
        if len(rest) == 2 and method == "POST" and rest[1] in res.actions and not res.actions[rest[1]].under_status:
            return self.action(ctx, res, record, rest[1])
        return self.of(res).sub(ctx, res, record, "/".join(rest[1:]), method, body)

    # ----------------------------------------------------------------- read
    def render(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> dict[str, Any]:
        return self.of(res).render(ctx, res, record)

    def list(self, ctx: Ctx, res: Resource) -> Result:
        page, per_page = records.paging(ctx.query)
        table = ctx.org.table(table_of(res))
        if res.bulk_read:
            ids = [as_id(i) for i in ctx.query.get(res.bulk_read, "").split(",") if i.strip()]
            if not ids or None in ids:
                raise errors.invalid(res.bulk_read)
            rows = [self.render(ctx, res, table[i]) for i in ids if i is not None and i in table]
            return 200, {"code": 0, "message": "success", res.plural: rows}
        rows = [self.render(ctx, res, r) for r in table.values()]
        selected = records.select(rows, ctx.query, res)
        start = (page - 1) * per_page
        chunk = selected[start : start + per_page]
        return 200, {
            "code": 0,
            "message": "success",
            res.plural: [records.summary(r, res) for r in chunk],
            "page_context": records.page_context(ctx.query, page, per_page, len(selected) > start + per_page, res),
        }

    # ----------------------------------------------------------------- write
    def create(self, ctx: Ctx, res: Resource, body: dict[str, Any]) -> Result:
        behaviour = self.of(res)
        for name in res.required:
            if body.get(name) in (None, "", []):
                raise errors.required(name)
        record: dict[str, Any] = {res.id_field: ctx.org.new_id()}
        self._number(ctx, res, record, body, creating=True)
        self._merge(ctx, res, record, body, before=None)
        if res.default_status and "status" not in record:
            record["status"] = res.default_status
        if res.date_field in DATE_FIELDS and not record.get(res.date_field):
            record[res.date_field] = ctx.today()
        record["created_time"] = ctx.ts()
        record["last_modified_time"] = record["created_time"]
        behaviour.prepare(ctx, res, record, body, None)
        ctx.org.table(table_of(res))[record[res.id_field]] = record
        behaviour.created(ctx, res, record)
        return res.create_status, {"code": 0, "message": res.messages()[0], res.singular: self.render(ctx, res, record)}

    def update(self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any]) -> Result:
        behaviour = self.of(res)
        updated = copy.deepcopy(record)
        self._number(ctx, res, updated, body, creating=False)
        self._merge(ctx, res, updated, body, before=record)
        updated["last_modified_time"] = ctx.ts()
        behaviour.prepare(ctx, res, updated, body, record)
        ctx.org.table(table_of(res))[updated[res.id_field]] = updated
        behaviour.updated(ctx, res, updated, record)
        return 200, {"code": 0, "message": res.messages()[1], res.singular: self.render(ctx, res, updated)}

    def upsert(self, ctx: Ctx, res: Resource, body: dict[str, Any]) -> Result:
        key = ctx.headers.get("x-unique-identifier-key", "")
        value = ctx.headers.get("x-unique-identifier-value", "")
        if not key or not value:
            raise errors.invalid("X-Unique-Identifier-Key", "Invalid value passed for X-Unique-Identifier-Key")
        field = next((f for f in ctx.org.fields_for(res.cf_module or "") if f.api_name == key), None)
        if field is None or not field.is_unique:
            raise errors.invalid(
                "X-Unique-Identifier-Key",
                f"Invalid value passed for X-Unique-Identifier-Key: {key} is not a unique custom field",
            )
        match = next(
            (
                r
                for r in ctx.org.table(table_of(res)).values()
                if any(
                    cf["customfield_id"] == field.customfield_id and str(cf["value"]) == value
                    for cf in r.get("custom_fields", [])
                )
            ),
            None,
        )
        if match is not None:
            return self.update(ctx, res, match, body)
        if not records.truthy(ctx.headers.get("x-upsert", "false")):
            raise errors.not_found(res.label)
        fields = list(body.get("custom_fields") or [])
        if not any(records.find_field(ctx.org, res.cf_module or "", f) is field for f in fields if isinstance(f, dict)):
            fields.append({"customfield_id": field.customfield_id, "value": value})
        return self.create(ctx, res, {**body, "custom_fields": fields})

    def delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> Result:
        behaviour = self.of(res)
        behaviour.before_delete(ctx, res, record)
        del ctx.org.table(table_of(res))[record[res.id_field]]
        behaviour.deleted(ctx, res, record)
        return 200, {"code": 0, "message": res.messages()[2]}

    def bulk_delete(self, ctx: Ctx, res: Resource) -> Result:
        ids = [i for i in ctx.query.get(res.bulk_delete or "", "").split(",") if i.strip()]
        if not ids:
            raise errors.invalid(res.bulk_delete or "ids")
        found = [ctx.record(table_of(res), as_id(i), res.label) for i in ids]
        for record in found:
            self.delete(ctx, res, record)
        return 200, {"code": 0, "message": res.messages()[2]}

    def action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> Result:
        self.act(ctx, res, record, name)
        return 200, {"code": 0, "message": res.actions[name].message.format(label=res.label.lower())}

    def bulk_action(self, ctx: Ctx, res: Resource, name: str) -> Result:
        param = f"{res.singular}_ids"
        ids = [i for i in ctx.query.get(param, "").split(",") if i.strip()]
        if not ids:
            raise errors.invalid(param)
        found = [ctx.record(table_of(res), as_id(i), res.label) for i in ids]
        for record in found:
            self._check_action(res, record, name)
        for record in found:
            self.act(ctx, res, record, name)
        return 200, {"code": 0, "message": res.actions[name].message.format(label=res.label.lower())}

    def _check_action(self, res: Resource, record: dict[str, Any], name: str) -> None:
        action = res.actions[name]
        if record.get("status") not in action.allowed_from:
            raise errors.state(
                f"The {res.label.lower()} {record.get(res.number_field or res.id_field, '')} cannot be marked "
                f"as {action.to.replace('_', ' ')} from its current status ({record.get('status')})."
            )

    def act(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        self._check_action(res, record, name)
        behaviour = self.of(res)
        behaviour.before_action(ctx, res, record, name)
        record["status"] = res.actions[name].to
        record["last_modified_time"] = ctx.ts()
        behaviour.after_action(ctx, res, record, name)

    # ----------------------------------------------------------------- generic merge
    def _number(self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        field = res.number_field
        if field is None:
            return
        table = ctx.org.table(table_of(res))
        wanted = body.get(field)
        if creating and not records.truthy(ctx.query.get("ignore_auto_number_generation", "false")):
            while True:
                candidate = number(res.number_prefix, ctx.org.next_number(res.path), res.number_width)
                if not any(r.get(field) == candidate for r in table.values()):
                    break
            record[field] = candidate
            return
        if wanted in (None, ""):
            if creating:
                raise errors.required(field)
            return
        wanted = str(wanted)
        if any(r.get(field) == wanted and r[res.id_field] != record[res.id_field] for r in table.values()):
            raise errors.duplicate(f"{res.label} number", wanted)
        record[field] = wanted

    def _merge(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        behaviour = self.of(res)
        protected = ALWAYS_PROTECTED | {res.id_field, res.number_field or ""}
        for key, value in body.items():
            if key in protected:
                continue
            if key.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if key in DATE_FIELDS and value not in (None, ""):
                parsed = parse_date(value)
                if parsed is None:
                    raise errors.invalid(key)
                value = parsed
            record[key] = value
        for ref, name_key in (("customer_id", "customer_name"), ("vendor_id", "vendor_name")):
            if ref in body:
                contact = ctx.org.table("contacts").get(as_id(body[ref]) or "")
                if contact is None:
                    raise errors.invalid(ref)
                record[ref] = contact["contact_id"]
                record[name_key] = contact["contact_name"]
        if res.cf_module:
            values = records.merge_custom_fields(
                ctx.org, res.cf_module, (before or {}).get("custom_fields", []), body.get("custom_fields")
            )
            records.unique_clash(ctx.org, res, table_of(res), record[res.id_field], values)
            record["custom_fields"] = records.render_custom_fields(ctx.org, res.cf_module, values)
            record["custom_field_hash"] = records.custom_field_hash(record["custom_fields"])
        if behaviour.priced_lines and ("line_items" in body or before is None):
            record["line_items"] = records.line_items(
                ctx.org, body.get("line_items"), (before or {}).get("line_items", []), new_id=ctx.org.new_id
            )
        elif "line_items" in body:
            record["line_items"] = body["line_items"]


def _method(method: str) -> errors.ZohoError:
    return errors.ZohoError(405, "method", f"The HTTP method {method} is not allowed for the requested resource")
