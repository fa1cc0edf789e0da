"""Realistic demo flows of any size, laid out so they read well when drawn.

A flow is a chain of department blocks (about 20 nodes each: hours check, menu, transfers,
voicemail, an HTTP lookup, a split). Block k's menu offers "9" for the next department, so
every node is reachable from the start and the first screen is the start of the chain. Each
block is laid out once and translated onto a grid of blocks, so a 500,000-node flow
generates in a couple of seconds.
"""

from __future__ import annotations

import copy
import math
import random
from typing import Any

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import EdgeDict, FlowDocument, NodeDict
from ringflow.model.layout import bounds, layered_layout

DEPARTMENTS = ("Sales", "Support", "Billing", "Returns", "Claims", "Bookings", "Accounts", "Delivery",
               "Repairs", "Onboarding", "Renewals", "Fraud", "Partners", "Careers", "Press", "Warranty")
BLOCK_GAP = 120.0

# The example flow: the first demo flow, and the fixture of many tests.
MAIN_LINE: dict[str, Any] = {
    "name": "Main line", "start": "welcome",
    "nodes": [
        {"id": "welcome", "type": "say", "x": 0, "y": 0, "label": "Welcome", "config": {"text": "Thanks for calling Acme."}},
        {"id": "menu", "type": "menu", "x": 0, "y": 160,
         "config": {"prompt": "Press 1 for sales, 2 for support.", "digits": ["1", "2"], "timeout": 5, "retries": 2}},
        {"id": "sales", "type": "transfer", "x": -200, "y": 320, "config": {"to": "+15550100"}},
        {"id": "bye", "type": "hangup", "x": 200, "y": 320},
    ],
    "edges": [
        {"source": "welcome", "outlet": "next", "target": "menu"},
        {"source": "menu", "outlet": "1", "target": "sales"},
        {"source": "menu", "outlet": "2", "target": "bye"},
        {"source": "menu", "outlet": "timeout", "target": "bye"},
    ],
}


def main_line() -> dict[str, Any]:
    return copy.deepcopy(MAIN_LINE)


def _block(tag: str, dept: str, rng: random.Random) -> tuple[list[NodeDict], list[EdgeDict], str, str]:
    """One department's nodes and edges (ids prefixed by ``tag``), its entry node and its menu."""
    phone = f"+1555{rng.randint(1000000, 9999999)}"

    def n(local: str, ntype: str, label: str, config: dict[str, Any]) -> NodeDict:
        return {"id": f"{tag}{local}", "type": ntype, "x": 0.0, "y": 0.0, "label": label, "config": config}

    nodes = [
        n("welcome", "say", f"{dept} welcome", {"text": f"Welcome to {dept}, {{{{trigger.call.From}}}}."}),
        n("hours", "business_hours", f"{dept} hours", {"timezone": "America/New_York",
                                                        "schedule": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                                                        "holidays": ["2026-12-25"]}),
        n("menu", "menu", f"{dept} menu", {"prompt": f"For {dept} agents press 1, account lookup 2, voicemail 3, next department 9.",
                                            "digits": ["1", "2", "3", "9"], "timeout": 5, "retries": 2}),
        n("agent", "transfer", f"{dept} agents", {"to": phone, "timeout": 30}),
        n("queue", "enqueue", f"{dept} queue", {"queue": dept.lower(), "priority": rng.randint(0, 5)}),
        n("acct", "gather", "Account number", {"prompt": "Enter your account number, then hash.", "input": "dtmf",
                                               "num_digits": 0, "timeout": 8, "finish_on_key": "#"}),
        n("lookup", "http", "Look up account", {"method": "GET", "url": "https://crm.example.com/accounts/{{nodes." + tag + "acct.digits}}",
                                                "timeout": 5}),
        n("vip", "split", "VIP?", {"input": "{{nodes." + tag + "lookup.parsed.tier}}",
                                   "cases": [{"name": "gold", "op": "equals", "value": "gold"},
                                             {"name": "silver", "op": "equals", "value": "silver"}]}),
        n("setvip", "set", "Mark VIP", {"variables": {"vip": "yes", "dept": dept.lower()}}),
        n("vipsay", "say", "VIP greeting", {"text": "Thanks for being a valued customer."}),
        n("balance", "say", "Read balance", {"text": "Your balance is {{nodes." + tag + "lookup.parsed.balance}} dollars."}),
        n("sorry", "say", "Lookup failed", {"text": "Sorry, we could not find that account."}),
        n("vm", "say", "Voicemail prompt", {"text": f"Leave a message for {dept} after the beep."}),
        n("record", "record", f"{dept} voicemail", {"max_length": 120, "beep": True, "transcribe": rng.random() < 0.5}),
        n("thanks", "say", "Thanks", {"text": "Thank you. Goodbye."}),
        n("closed", "say", "Closed", {"text": f"{dept} is closed. Our hours are nine to five, Monday to Friday."}),
        n("wait", "pause", "Hold", {"seconds": 1}),
        n("busy", "say", "Busy", {"text": "All agents are busy."}),
        n("bye", "hangup", "Hang up", {}),
        n("retry", "say", "Invalid choice", {"text": "Sorry, that is not an option."}),
    ]
    links = [
        ("welcome", "next", "hours"), ("hours", "open", "menu"), ("hours", "closed", "closed"),
        ("closed", "next", "vm"), ("menu", "1", "agent"), ("menu", "2", "acct"), ("menu", "3", "vm"),
        ("menu", "invalid", "retry"), ("menu", "timeout", "bye"), ("agent", "busy", "busy"),
        ("agent", "no_answer", "queue"), ("agent", "failed", "busy"), ("agent", "completed", "bye"),
        ("busy", "next", "queue"), ("queue", "completed", "bye"), ("queue", "failed", "vm"),
        ("acct", "keypress", "lookup"), ("acct", "timeout", "sorry"), ("acct", "speech", "sorry"),
        ("lookup", "success", "vip"), ("lookup", "failed", "sorry"), ("vip", "gold", "setvip"),
        ("vip", "silver", "setvip"), ("vip", "no_match", "balance"), ("setvip", "next", "vipsay"),
        ("vipsay", "next", "balance"), ("balance", "next", "wait"), ("wait", "next", "agent"),
        ("sorry", "next", "vm"), ("vm", "next", "record"), ("record", "recorded", "thanks"),
        ("record", "no_audio", "thanks"), ("record", "hangup", "bye"), ("thanks", "next", "bye"),
        ("retry", "next", "bye"),
    ]
    edges: list[EdgeDict] = [{"source": f"{tag}{s}", "outlet": o, "target": f"{tag}{t}"} for s, o, t in links]
    return nodes, edges, f"{tag}welcome", f"{tag}menu"


_TEMPLATE_POSITIONS: dict[str, tuple[float, float]] | None = None


def _block_positions() -> dict[str, tuple[float, float]]:
    """Local positions of a block's nodes (ids without prefix), computed once."""
    global _TEMPLATE_POSITIONS
    if _TEMPLATE_POSITIONS is None:
        nodes, edges, entry, _ = _block("", "Demo", random.Random(0))
        outlets = {n["id"]: CATALOGUE[n["type"]].outlets_for(n["config"]) for n in nodes}
        ordered = sorted(edges, key=lambda e: (e["source"], outlets[e["source"]].index(e["outlet"])))  # ports left to right
        _TEMPLATE_POSITIONS = layered_layout([n["id"] for n in nodes], [(e["source"], e["target"]) for e in ordered], entry)
    return _TEMPLATE_POSITIONS


def generate_flow(n_nodes: int, name: str = "Demo flow", seed: int = 0) -> FlowDocument:
    """A valid, readable flow of about ``n_nodes`` nodes (rounded to whole blocks, at least one)."""
    rng = random.Random(seed)
    local = _block_positions()
    bx0, by0, bx1, by1 = bounds(local.values())
    block_w, block_h = bx1 - bx0 + BLOCK_GAP, by1 - by0 + BLOCK_GAP
    blocks = max(1, round(n_nodes / len(local)))
    cols = max(1, math.ceil(math.sqrt(blocks * block_h / block_w)))
    nodes: list[NodeDict] = []
    edges: list[EdgeDict] = []
    prev_menu: str | None = None
    start = None
    for k in range(blocks):
        tag = f"b{k}_" if blocks > 1 else ""
        dept = DEPARTMENTS[k % len(DEPARTMENTS)] + ("" if k < len(DEPARTMENTS) else f" {k // len(DEPARTMENTS) + 1}")
        b_nodes, b_edges, entry, menu = _block(tag, dept, rng)
        row, col = divmod(k, cols)
        if row % 2:  # snake through the grid so each "next department" link stays short
            col = cols - 1 - col
        ox, oy = col * block_w - bx0, row * block_h - by0
        cut = len(tag)
        for node in b_nodes:
            lx, ly = local[node["id"][cut:]]
            node["x"], node["y"] = ox + lx, oy + ly
        nodes.extend(b_nodes)
        edges.extend(b_edges)
        if prev_menu is not None:
            edges.append({"source": prev_menu, "outlet": "9", "target": entry})
        else:
            start = entry
        prev_menu = menu
    if prev_menu is not None:  # the last menu's "next department" goes back to the first
        edges.append({"source": prev_menu, "outlet": "9", "target": start})  # type: ignore[typeddict-item]
    return {"name": name, "start": start, "nodes": nodes, "edges": edges}
