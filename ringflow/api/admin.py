"""Operator routes (admin token): create customers and keys, revoke keys.

A clear API key exists only in the response that creates it; the store keeps its hash.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from ringflow.api.auth import Auth, issue_key, require_admin
from ringflow.api.common import MAX_ID_INT, FastJSON, store_of
from ringflow.api.errors import not_found

router = APIRouter(prefix="/api/v1", tags=["admin"], dependencies=[Depends(require_admin)])


class NewCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value:  # PostgreSQL text cannot hold NUL (it was a 500 there)
            raise ValueError("the name must not contain a NUL character")
        return value


@router.post("/customers", status_code=201, summary="Create a customer and its first API key (admin)")
def create_customer(body: NewCustomer, request: Request) -> Response:
    store = store_of(request)
    customer = store.create_customer(body.name.strip() or body.name)
    clear, key_hash, prefix = issue_key()
    key = store.create_api_key(customer.id, key_hash, prefix)
    return FastJSON({"id": customer.id, "name": customer.name, "created_at": customer.created_at,
                     "api_key": clear, "key_id": key.id, "key_prefix": key.prefix}, status_code=201)


@router.post("/customers/{customer_id}/keys", status_code=201, summary="Issue another API key for a customer (admin)")
def create_key(request: Request, customer_id: int = Path(ge=1, le=MAX_ID_INT)) -> Response:
    store = store_of(request)
    if store.get_customer(customer_id) is None:
        raise not_found("customer")
    clear, key_hash, prefix = issue_key()
    key = store.create_api_key(customer_id, key_hash, prefix)
    return FastJSON({"id": key.id, "customer_id": customer_id, "api_key": clear, "prefix": key.prefix,
                     "created_at": key.created_at}, status_code=201)


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key at once (admin)")
def revoke_key(request: Request, key_id: int = Path(ge=1, le=MAX_ID_INT)) -> Response:
    auth: Auth = request.app.state.auth
    if not store_of(request).revoke_api_key(key_id):
        raise not_found("key")
    auth.forget_key(key_id)
    return Response(status_code=204)
