"""A website calling the REST API: a tenant of its own, a partner key, and the gateway's Quart app
(test client) in front of the session's in-process core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol
from werkzeug.datastructures import Headers

from sdk.billinghub.v1 import tenant_pb2
from tests.hub import Hub, TenantHandle


@dataclass
class Answer:
    status: int
    body: Any
    headers: Headers

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        error: dict[str, Any] = self.body["error"]
        return error


@dataclass
class Site:
    hub: Hub
    app: Quart
    http: TestClientProtocol
    tenant: TenantHandle
    key: str

    @property
    def tenant_id(self) -> str:
        return self.tenant.id

    async def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None, headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None, raw: bytes | None = None,
    ) -> Answer:  # fmt: skip
        sent = {"Authorization": f"Bearer {self.key if key is None else key}", **(headers or {})}
        if key == "":
            sent.pop("Authorization")
        options: dict[str, Any] = {"headers": sent}
        if raw is not None:
            options["data"] = raw
            sent.setdefault("Content-Type", "application/json")
        elif body is not None:
            options["json"] = body
        if query is not None:
            options["query_string"] = query
        response = await self.http.open(f"/api/v1{path}", method=method, **options)
        data = await response.get_data(as_text=True)
        parsed = await response.get_json() if response.mimetype == "application/json" else data
        return Answer(response.status_code, parsed, response.headers)

    async def get(self, path: str, **options: Any) -> Answer:
        return await self.call("GET", path, **options)

    async def post(self, path: str, body: Any = None, **options: Any) -> Answer:
        return await self.call("POST", path, body, **options)

    async def patch(self, path: str, body: Any = None, **options: Any) -> Answer:
        return await self.call("PATCH", path, body, **options)

    async def put(self, path: str, body: Any = None, **options: Any) -> Answer:
        return await self.call("PUT", path, body, **options)

    async def new_key(self, role: int) -> str:
        return await self.hub.new_key(role, self.tenant_id, "rest test")

    async def partner_of_another_tenant(self) -> Site:
        other = await self.hub.new_tenant("Another shop")
        key = await self.hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, other.id, "other partner")
        return Site(self.hub, self.app, self.http, other, key)

    async def register(self, external_id: str, **fields: Any) -> dict[str, Any]:
        answer = await self.post("/users", {"platform": "web", "external_id": external_id, **fields})
        assert answer.status == 200, answer.body
        user: dict[str, Any] = answer.body["user"]
        return user
