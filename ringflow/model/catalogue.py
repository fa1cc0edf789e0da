"""The node catalogue: the one place that says which node types exist.

Validation, the runtime, the API (``/api/v1/node-types``) and the editor all read
this registry; nothing else in Ringflow lists node types or their config fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FieldKind = Literal[
    "string",  # plain text, never a template
    "template",  # text that may hold Liquid (``{{trigger.call.From}}``)
    "integer",
    "number",
    "boolean",
    "enum",
    "string_list",
    "template_map",  # {name: template}
    "string_map",  # {name: text}, e.g. HTTP headers
    "cases",  # split cases [{name, op, value}]
    "schedule",  # business hours {"mon": [["09:00", "17:00"]], ...}
    "date_list",  # ["2026-12-25", ...]
    "object",  # any JSON object, kept as is (e.g. an imported widget's original properties)
]

NODE_WIDTH = 200
NODE_HEIGHT = 72
MAX_TEXT = 4096
SPLIT_OPS = (
    "equals", "not_equals", "contains", "starts_with", "regex", "less_than", "greater_than",
    # Added for Twilio Studio's split conditions (ringflow.interop); see docs/interop.md.
    "matches_any_of", "does_not_match_any_of",  # value: comma-separated list
    "is_blank", "is_not_blank",  # value ignored
    "does_not_contain", "does_not_start_with",
    "is_before_time", "is_after_time",  # value: HH:MM
    "is_before_date", "is_after_date",  # value: YYYY-MM-DD
)
TIME_OPS = ("is_before_time", "is_after_time")
DATE_OPS = ("is_before_date", "is_after_date")
RESERVED_CONFIG_KEYS = ("studio", "connect")
"""Config keys any node may carry: the original widget/action an import came from, kept so
an export reproduces it exactly. Validation does not warn about them; the runtime ignores them."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Field:
    """One config field of a node type, with the limits validation enforces."""

    name: str
    kind: FieldKind
    description: str
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = MAX_TEXT
    choices: tuple[str, ...] = ()  # enum: the allowed values; string: suggestions the editor may offer
    pattern: str = ""  # string: a regular expression every value must match (e.g. voices Twilio accepts)
    title: str = ""  # what people read ("Number to dial"); empty: the name, spaced and capitalised

    @property
    def label(self) -> str:
        """The field's title for people: problems and the properties panel both use it."""
        return self.title or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class NodeType:
    """A node type: its config fields, its outlets, and how the editor should show it."""

    name: str
    title: str
    description: str
    category: str
    color: str
    fields: tuple[Field, ...]
    outlets: tuple[str, ...] = ()
    dynamic_outlets: Callable[[Any], list[str]] | None = field(default=None, compare=False)
    dynamic_outlets_doc: str = ""
    dynamic_from: str = ""
    """The one config field ``dynamic_outlets`` reads: validation works the outlets out once per
    distinct value of it (a flow's menus mostly offer the same digits)."""
    waits: bool = False  # does the runtime wait for the caller or the network here?
    expected_outlets: tuple[str, ...] = ()
    """Fixed outlets whose absence is likely a mistake (validation warns). Any other fixed outlet
    left open just ends the call, as Twilio Studio treats an unconnected transition; outlets the
    config creates (menu digits, split cases) always warn: someone asked for them."""

    icon: str = ""  # the editor's icon for this type (each type its own; ringflow/web/js/ui/dom.js draws it)
    summary: tuple[str, ...] = ()
    """The fields a card shows at the near level of detail, in order (a Menu: its prompt and
    choices); the editor renders each by its kind (docs/editor-ui.md, "Cards")."""

    def warns_unconnected(self, outlet: str) -> bool:
        """Should validation warn that ``outlet`` of a node of this type is not connected?"""
        return outlet in self.expected_outlets or outlet not in self.outlets

    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def outlets_for(self, config: Any) -> list[str]:
        """The outlets a node of this type has, given its config (menus and splits vary)."""
        extra = self.dynamic_outlets(config) if self.dynamic_outlets else []
        return [*extra, *self.outlets]


def config_value(config: Any, key: str, default: Any = None) -> Any:
    """A config's value: a dict as sent, or its type's Struct (ringflow.model.configs) once checked."""
    return config.get(key, default) if isinstance(config, dict) else getattr(config, key, default)


def _menu_outlets(config: Any) -> list[str]:
    digits = config_value(config, "digits")
    if not isinstance(digits, list):
        return []
    return list(dict.fromkeys(d for d in digits if isinstance(d, str)))


def _split_outlets(config: Any) -> list[str]:
    cases = config_value(config, "cases")
    if not isinstance(cases, list):
        return []
    names = [c.get("name") if isinstance(c, dict) else getattr(c, "name", None) for c in cases]
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and n))


def _unsupported_outlets(config: Any) -> list[str]:
    outlets = config_value(config, "outlets")
    if not isinstance(outlets, list):
        return []
    return list(dict.fromkeys(o for o in outlets if isinstance(o, str) and o))


def _t(name: str, description: str, default: str = "", required: bool = False, max_length: int = MAX_TEXT) -> Field:
    return Field(name, "template", description, default=default, required=required, max_length=max_length)


VOICES = ("alice", "man", "woman", "Polly.Joanna", "Polly.Matthew", "Polly.Amy", "Polly.Brian", "Polly.Joanna-Neural",
          "Google.en-US-Standard-C", "Google.en-US-Neural2-A")
"""Suggestions; any voice Twilio's <Say> takes is accepted (VOICE_RE)."""
VOICE_RE = (r"^(man|woman|alice|Polly\.[A-Z][A-Za-z]{1,31}(-Neural|-Generative|-LongForm)?"
            r"|Google\.[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]{1,16}(-[A-Za-z0-9]{1,16}){1,2})$")
"""Twilio's <Say> voices: man, woman, alice, Amazon Polly (Polly.Amy, Polly.Joanna-Neural) and Google
(Google.en-GB-Standard-A, Google.en-US-Chirp3-HD-Aoede)."""
LANGUAGES = ("en-US", "en-GB", "en-AU", "es-ES", "es-MX", "es-US", "fr-FR", "de-DE", "it-IT", "pt-BR", "ja-JP", "nl-NL")
"""Suggestions; any BCP-47 language tag is accepted (LANGUAGE_RE)."""
LANGUAGE_RE = r"^[a-z]{2,3}(-[A-Za-z]{4})?(-([A-Z]{2}|[0-9]{3}))?$"
"""A BCP-47 language[-Script][-REGION] tag as Twilio takes them: en-US, cmn-CN, arb, zh-Hant-TW, es-419."""
SPEECH_MODEL_RE = r"^[A-Za-z0-9_.-]{1,64}$"
SPEECH_MODELS = ("default", "numbers_and_commands", "phone_call", "experimental_conversations", "experimental_utterances",
                 "googlev2_long", "googlev2_short", "googlev2_telephony", "deepgram_nova-2", "deepgram_nova-3")
SPEECH_TIMEOUT_RE = r"^(auto|[0-9]{1,2})$"


def _voice(description: str) -> Field:
    return Field("voice", "string", description, default="alice", max_length=64, choices=VOICES, pattern=VOICE_RE)


def _language(name: str, description: str) -> Field:
    return Field(name, "string", description, default="en-US" if name == "language" else "", max_length=16,
                 choices=LANGUAGES, pattern=LANGUAGE_RE)

_NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        "say", "Say", "Speaks text to the caller with text-to-speech.", "voice", "#2f80ed",
        (
            _t("text", "What to say; Liquid templates allowed.", required=True),
            _voice("Text-to-speech voice: man, woman, alice, Polly.NAME[-Neural], Google.LANG-MODEL-X."),
            _language("language", "Language of the text (BCP-47, e.g. en-US, es-US)."),
            Field("loop", "integer", "How many times to say it.", default=1, minimum=1, maximum=10),
        ),
        outlets=("next",),
        summary=("text",),
        icon="speech",
    ),
    NodeType(
        "play", "Play", "Plays an audio file to the caller.", "voice", "#2d9cdb",
        (
            Field("url", "template", "Address of the audio file (http or https); needed unless digits are set.", default="",
                  max_length=2048, title="Audio file"),
            Field("loop", "integer", "How many times to play it.", default=1, minimum=1, maximum=10),
            Field("digits", "template", "DTMF tones to play instead of a file (0-9, *, #, w = half-second wait).", default="",
                  max_length=64, title="Tones"),
        ),
        outlets=("next",),
        summary=("url", "digits"),
        icon="play",
    ),
    NodeType(
        "pause", "Pause", "Waits in silence.", "voice", "#828282",
        (Field("seconds", "integer", "Seconds of silence.", default=1, minimum=1, maximum=60),),
        outlets=("next",),
        summary=("seconds",),
        icon="pause",
    ),
    NodeType(
        "gather", "Gather", "Collects digits or speech from the caller.", "input", "#9b51e0",
        (
            _t("prompt", "Prompt spoken while listening."),
            Field("prompt_url", "template", "Audio file played as the prompt instead of speaking it (http or https).", default="",
                  max_length=2048, title="Prompt audio file"),
            Field("input", "enum", "What to listen for.", default="dtmf", choices=("dtmf", "speech", "both")),
            Field("num_digits", "integer", "Digits to collect (0 = until finish key).", default=1, minimum=0, maximum=32,
                  title="Number of digits"),
            Field("timeout", "integer", "Seconds to wait for input.", default=5, minimum=1, maximum=60),
            Field("finish_on_key", "string", "Key that ends input.", default="#", max_length=1),
            Field("hints", "string_list", "Words or phrases to help speech recognition.", default=[]),
            _voice("Voice of the spoken prompt."),
            _language("language", "Language of the spoken prompt (BCP-47)."),
            _language("speech_language", "Language the caller speaks, for recognition (<Gather language>); "
                      "empty = the prompt's language."),
            Field("speech_model", "string", "Speech recognition model (<Gather speechModel>); empty = the provider's default.",
                  max_length=64, choices=SPEECH_MODELS, pattern=SPEECH_MODEL_RE),
            Field("speech_timeout", "string", "Seconds of silence that end speech, or auto.", default="auto", max_length=4,
                  choices=("auto",), pattern=SPEECH_TIMEOUT_RE),
        ),
        outlets=("keypress", "speech", "timeout"),
        waits=True,
        summary=("prompt", "input"),
        icon="keypad",
    ),
    NodeType(
        "menu", "Menu", "Plays a prompt and branches on the digit pressed.", "input", "#bb6bd9",
        (
            _t("prompt", "Prompt listing the choices.", required=True),
            Field("digits", "string_list", "Digits offered (0-9, * or #); one outlet each.", default=["1", "2"], required=True,
                  title="Choices"),
            Field("timeout", "integer", "Seconds to wait for a digit.", default=5, minimum=1, maximum=60),
            Field("retries", "integer", "Replays of the prompt after invalid input or silence.", default=2, minimum=0, maximum=10),
        ),
        outlets=("invalid", "timeout"),
        dynamic_outlets=_menu_outlets,
        dynamic_from="digits",
        dynamic_outlets_doc="one outlet per entry of config.digits",
        waits=True,
        summary=("prompt", "digits"),
        icon="menu",
    ),
    NodeType(
        "split", "Split", "Branches on a templated value, first matching case wins.", "logic", "#f2994a",
        (
            Field("input", "template", "The value to test; usually a template.", default="", required=True, title="Value to test"),
            Field("cases", "cases", "Cases tried in order; one outlet each.", default=[]),
            Field("ignore_case", "boolean", "Compare without regard to letter case or surrounding spaces, as Twilio Studio does.",
                  default=False),
        ),
        outlets=("no_match",),
        dynamic_outlets=_split_outlets,
        dynamic_from="cases",
        dynamic_outlets_doc="one outlet per config.cases[].name",
        summary=("input", "cases"),
        icon="fork",
    ),
    NodeType(
        "set", "Set variables", "Sets flow variables from templates.", "logic", "#f2c94c",
        (Field("variables", "template_map", "Variable name to template.", default={}),),
        outlets=("next",),
        expected_outlets=("next",),  # setting variables and then hanging up is never the point
        summary=("variables",),
        icon="variables",
    ),
    NodeType(
        "http", "HTTP request", "Calls a web service; a JSON answer is reachable as nodes.NAME.parsed.", "integration", "#27ae60",
        (
            Field("method", "enum", "HTTP method.", default="GET", choices=("GET", "POST", "PUT", "PATCH", "DELETE")),
            Field("url", "template", "Address to call (http or https).", default="", required=True, max_length=2048, title="URL"),
            Field("headers", "string_map", "Request headers.", default={}),
            _t("body", "Request body; a template."),
            Field("timeout", "integer", "Seconds before giving up.", default=10, minimum=1, maximum=10),
        ),
        outlets=("success", "failed"),
        waits=True,
        expected_outlets=("success",),
        summary=("method", "url"),
        icon="code",
    ),
    NodeType(
        "transfer", "Transfer", "Connects the caller to another number or address.", "connect", "#eb5757",
        (
            Field("to", "template", "Number or SIP address to dial.", default="", required=True, max_length=256, title="Number to dial"),
            Field("caller_id", "template", "Caller ID to present.", default="", max_length=64, title="Caller ID"),
            Field("timeout", "integer", "Seconds to let it ring.", default=30, minimum=5, maximum=600),
            Field("record", "boolean", "Record the call.", default=False),
        ),
        outlets=("completed", "busy", "no_answer", "failed"),
        waits=True,
        summary=("to",),
        icon="phone",
    ),
    NodeType(
        "record", "Record", "Records a message from the caller.", "input", "#6fcf97",
        (
            Field("max_length", "integer", "Longest recording in seconds.", default=120, minimum=1, maximum=3600),
            Field("beep", "boolean", "Play a beep before recording.", default=True),
            Field("transcribe", "boolean", "Transcribe the recording.", default=False),
            Field("finish_on_key", "string", "Keys that end the recording (any of 0-9, *, #); empty = none.", default="#",
                  max_length=12, pattern=r"^[0-9*#]{0,12}$"),
            Field("silence_timeout", "integer", "Seconds of silence that end the recording.", default=5, minimum=1, maximum=600),
            Field("trim", "boolean", "Trim silence from the start and end.", default=True),
        ),
        outlets=("recorded", "no_audio", "hangup"),
        waits=True,
        summary=("max_length",),
        icon="record",
    ),
    NodeType(
        "enqueue", "Enqueue", "Puts the caller in a queue for an agent.", "connect", "#56ccf2",
        (
            _t("queue", "Queue name (a plain <Enqueue> queue); leave empty with a TaskRouter workflow.", max_length=128),
            Field("priority", "integer", "Higher is served first (TaskRouter task priority).", default=0, minimum=0, maximum=100),
            Field("workflow_sid", "string", "TaskRouter workflow (WW...), e.g. Flex's: <Enqueue workflowSid>.", max_length=64,
                  pattern=r"^WW[0-9a-fA-F]{32}$"),
            _t("attributes", "Task attributes as JSON (a template), sent as the <Task>.", max_length=4096),
            Field("task_timeout", "integer", "Seconds the task may wait for an agent (0 = the workflow's own).", default=0,
                  minimum=0, maximum=86400),
        ),
        outlets=("completed", "failed"),
        waits=True,
        summary=("queue",),
        icon="queue",
    ),
    NodeType(
        "business_hours", "Business hours", "Branches on whether it is open now in a timezone.", "logic", "#219653",
        (
            Field("timezone", "string", "IANA timezone, e.g. America/New_York.", default="UTC", max_length=64, title="Time zone"),
            Field("schedule", "schedule", "Opening intervals per weekday.", default={d: [["09:00", "17:00"]] for d in WEEKDAYS[:5]}),
            Field("holidays", "date_list", "Closed dates (YYYY-MM-DD).", default=[]),
        ),
        outlets=("open", "closed"),
        expected_outlets=("open",),
        summary=("schedule", "timezone"),  # today first: the time zone may be cut short on a narrow card
        icon="clock",
    ),
    NodeType(
        "subflow", "Subflow", "Runs another published flow, then continues.", "logic", "#4f4f4f",
        (
            Field("flow_id", "string", "Id of the flow to run.", required=True, max_length=64, title="Flow"),
            Field("parameters", "template_map", "Name to template, rendered in the calling flow; the subflow reads "
                  "them as flow.data.NAME.", default={}),
        ),
        outlets=("completed", "failed"),
        summary=("flow_id",),
        icon="subflow",
    ),
    NodeType("hangup", "Hang up", "Ends the call.", "voice", "#333333", (), icon="hangup"),
    NodeType(
        "unsupported", "Unsupported", "A step imported from another platform that Ringflow cannot execute; kept so nothing is lost.",
        "other", "#bdbdbd",
        (
            Field("platform", "enum", "Where the step came from.", default="studio", choices=("studio", "connect")),
            Field("original_type", "string", "The widget or action type on that platform.", required=True, max_length=64,
                  title="Original type"),
            Field("properties", "object", "The original properties, unchanged.", default={}),
            Field("outlets", "string_list", "The original transition names; one outlet each.", default=[]),
        ),
        dynamic_outlets=_unsupported_outlets,
        dynamic_from="outlets",
        dynamic_outlets_doc="one outlet per entry of config.outlets",
        summary=("original_type",),
        icon="unknown",
    ),
)

# Added for Twilio Studio widgets (issue 17); appended so the earlier types keep their codes.
_NODE_TYPES += (
    NodeType(
        "function", "Run function", "POSTs its parameters (form-encoded) to a function's URL, as Studio's run-function does; "
        "the answer is nodes.NAME.parsed (JSON) or .body, and .status_code.", "integration", "#219653",
        (
            _t("url", "The function's address (https; Twilio Functions or any service).", required=True, max_length=2048),
            Field("parameters", "template_map", "Name to template, sent as form fields.", default={}),
        ),
        outlets=("success", "fail"),
        waits=True,
        summary=("url",),
        expected_outlets=("success",),
        icon="function",
    ),
    NodeType(
        "pay", "Capture payment", "Collects a card or bank payment with the provider's <Pay> and branches on its result.",
        "connect", "#6fcf97",
        (
            _t("charge_amount", "Amount to charge (e.g. 10.50); empty or 0 only tokenizes.", max_length=32),
            Field("currency", "string", "Currency (ISO 4217, e.g. usd).", default="usd", max_length=3, pattern=r"^[A-Za-z]{3}$"),
            Field("payment_connector", "string", "The provider's Pay connector name.", default="Default", max_length=64),
            Field("payment_method", "enum", "What to collect.", default="credit-card", choices=("credit-card", "ach-debit")),
            Field("token_type", "enum", "Token to create.", default="reusable", choices=("one-time", "reusable", "payment-method")),
            _t("description", "Description of the payment.", max_length=256),
            Field("timeout", "integer", "Seconds to wait for each input.", default=5, minimum=1, maximum=600),
            Field("max_attempts", "integer", "Attempts for each input.", default=1, minimum=1, maximum=3),
            Field("security_code", "boolean", "Ask for the card's security code.", default=True),
            Field("postal_code", "boolean", "Ask for the postal code.", default=True),
            Field("valid_card_types", "string_list", "Accepted cards (visa, mastercard, amex, ...); empty = the connector's.",
                  default=[]),
            _language("language", "Language of the prompts (BCP-47)."),
        ),
        outlets=("success", "max_failed_attempts", "provider_error", "pay_interrupted", "hangup", "validation_error"),
        waits=True,
        summary=("charge_amount", "currency"),
        expected_outlets=("success",),
        icon="card",
    ),
    NodeType(
        "redirect", "TwiML redirect", "Hands the call to another TwiML application (<Redirect>); when it redirects back to "
        "the flow's webhook with FlowEvent=return the flow continues.", "connect", "#828282",
        (
            _t("url", "The TwiML application's address.", required=True, max_length=2048),
            Field("method", "enum", "HTTP method of the redirect.", default="POST", choices=("POST", "GET")),
        ),
        outlets=("return", "timeout", "fail"),
        waits=True,
        summary=("url",),
        icon="redirect",
    ),
    NodeType(
        "message", "Send message", "Sends a text message: the reply of a messaging conversation (<Message>), or an SMS "
        "through the provider's API during a call.", "messaging", "#2f80ed",
        (
            _t("body", "Message text.", required=True, max_length=1600),
            _t("to", "Recipient; empty = the contact (contact.channel.address).", max_length=256),
            _t("from", "Sender; empty = the flow's number (flow.channel.address).", max_length=256),
            _t("media_url", "Address of a picture or file to attach (MMS).", max_length=2048),
        ),
        outlets=("sent", "failed"),
        waits=True,
        summary=("body", "to"),
        icon="message",
    ),
    NodeType(
        "message_reply", "Send and wait for reply", "Sends a message, then waits for the contact's answer "
        "(nodes.NAME.inbound.Body).", "messaging", "#56ccf2",
        (
            _t("body", "Message text.", required=True, max_length=1600),
            _t("from", "Sender; empty = the flow's number.", max_length=256),
            _t("media_url", "Address of a picture or file to attach (MMS).", max_length=2048),
            Field("timeout", "integer", "Seconds to wait for the answer.", default=3600, minimum=1, maximum=7 * 86400),
        ),
        outlets=("incoming_message", "timeout", "delivery_failure"),
        waits=True,
        summary=("body",),
        expected_outlets=("incoming_message",),
        icon="reply",
    ),
    NodeType(
        "outbound_call", "Make outgoing call", "The call a REST execution places (Studio's make-outgoing-call-v2): "
        "the flow runs on once the called party answers.", "connect", "#eb5757",
        (
            _t("to", "Number to call; empty = the contact (contact.channel.address).", max_length=256),
            _t("from", "Caller ID; empty = the flow's number.", max_length=256),
            Field("timeout", "integer", "Seconds to let it ring.", default=60, minimum=5, maximum=600),
            Field("record", "boolean", "Record the call.", default=False),
        ),
        outlets=("answered", "busy", "no_answer", "failed"),
        summary=("to",),
        expected_outlets=("answered",),
        icon="outcall",
    ),
)

CATALOGUE: dict[str, NodeType] = {t.name: t for t in _NODE_TYPES}
TYPE_CODES: dict[str, int] = {t.name: i for i, t in enumerate(_NODE_TYPES)}
"""Stable small integer per type, used by the binary skeleton (0 is the first type)."""


def node_type(name: str) -> NodeType | None:
    return CATALOGUE.get(name)


def default_config(type_name: str) -> dict[str, Any]:
    """The config a freshly added node of this type starts with."""
    nt = CATALOGUE[type_name]
    return {f.name: _copy(f.default) for f in nt.fields if f.default not in (None, "")}


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def outlets_of(type_name: str, config: Mapping[str, Any]) -> list[str]:
    nt = CATALOGUE.get(type_name)
    return nt.outlets_for(config) if nt else []
