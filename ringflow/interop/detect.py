"""Which platform a parsed JSON document comes from, by the keys each format requires."""

from __future__ import annotations

from typing import Any, Literal

from ringflow.interop.errors import InteropError

Format = Literal["ringflow", "studio", "connect"]
FORMATS: tuple[str, ...] = ("ringflow", "studio", "connect")


def detect_format(obj: Any) -> Format:
    """``studio`` (states + initial_state/flags), ``connect`` (Actions + StartAction/Version), else ``ringflow``.

    Any other JSON object is taken as a Ringflow document so ``normalize`` can say what is
    wrong with it in its own words; only a non-object is refused here.
    """
    if not isinstance(obj, dict):
        raise InteropError("not a Ringflow, Twilio Studio or Amazon Connect flow document: expected a JSON object "
                           "('nodes', Studio's 'states' and 'initial_state', or Connect's 'Actions' and 'StartAction')")
    if isinstance(obj.get("modules"), list) and "metadata" in obj and "nodes" not in obj:
        raise InteropError("this is Amazon Connect's legacy export format ('modules' and 'metadata'), which Ringflow does not "
                           "import; export the flow again from the Amazon Connect console or API, which writes the flow "
                           "language ('Version', 'StartAction', 'Actions')", None, "modules", noun="action")
    if isinstance(obj.get("states"), list) and ("initial_state" in obj or "flags" in obj or "nodes" not in obj):
        return "studio"
    if isinstance(obj.get("Actions"), list) and ("StartAction" in obj or "Version" in obj or "nodes" not in obj):
        return "connect"
    return "ringflow"
