"""The compiled config of each node kind, with named fields: what the engine reads at call time.

Built by :mod:`ringflow.runtime.compile` from a node's config (its catalogue Struct,
``ringflow.model.configs``), once per published flow. They are tuples, so a node without a
template keeps its finished action as ``(name,) + conf``; the engine reads them by name.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Say(NamedTuple):
    text: Any
    voice: str
    language: str
    loop: int


class Play(NamedTuple):
    url: Any
    loop: int
    digits: Any


class Pause(NamedTuple):
    seconds: int


class Gather(NamedTuple):
    prompt: Any
    input: str
    num_digits: int
    timeout: int
    finish_on_key: str
    hints: tuple[str, ...]
    prompt_url: Any
    voice: str
    language: str
    listen: tuple[str, str, str]  # recognition language, speech model, speech timeout


class Menu(NamedTuple):
    prompt: Any
    digits: frozenset[str]
    timeout: int
    retries: int


class Split(NamedTuple):
    input: Any
    cases: tuple[tuple[str, str, Any, Any], ...]  # (name, op, value, compiled regex or None)
    ignore_case: bool


class SetVariables(NamedTuple):
    variables: tuple[tuple[str, Any], ...]


class Http(NamedTuple):
    method: str
    url: Any
    headers: tuple[tuple[str, str], ...]
    body: Any
    timeout: int


class Transfer(NamedTuple):
    to: Any
    caller_id: Any
    timeout: int
    record: bool


class Enqueue(NamedTuple):
    queue: Any
    priority: int
    workflow_sid: str
    attributes: Any
    task_timeout: int


class Hours(NamedTuple):
    tz: Any
    schedule: tuple[tuple[tuple[int, int], ...], ...]  # per weekday: (open, close) minutes
    holidays: frozenset[str]
    memo: dict[int, bool]  # minute -> open


class Subflow(NamedTuple):
    flow_id: str
    parameters: tuple[tuple[str, Any], ...]


class Function(NamedTuple):
    url: Any
    parameters: tuple[tuple[str, Any], ...]


class Pay(NamedTuple):
    charge_amount: Any
    currency: str
    payment_connector: str
    payment_method: str
    token_type: str
    description: Any
    timeout: int
    max_attempts: int
    security_code: bool
    postal_code: bool
    valid_card_types: tuple[str, ...]
    language: str


class Redirect(NamedTuple):
    url: Any
    method: str


class Message(NamedTuple):
    body: Any
    to: Any
    sender: Any
    media_url: Any
    timeout: int = 0  # message_reply: seconds to wait for the answer
