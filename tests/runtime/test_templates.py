from __future__ import annotations

import pytest

from ringflow.runtime.limits import LimitError
from ringflow.runtime.templates import MAX_OUTPUT, Template, TemplateError, build_context, compile_text

CTX = build_context(("CA1", "+15551234567", "+15550000000", "inbound", "AC1"), {"name": "Ann", "n": "3"},
                    {"menu": {"digits": "2"}, "ask": {"speech": "sales please"},
                     "crm": {"status_code": 200, "parsed": {"tier": "gold", "items": [1, 2, 3], "vip": True, "n": 1.5}}})


def test_plain_text_stays_a_shared_string():
    assert compile_text("Hello there") == "Hello there" and compile_text(None) == ""


@pytest.mark.parametrize("source", [
    "Hi {{trigger.call.From}} to {{ trigger.call.To }}",
    "{{flow.variables.name}} / {{flow.variables.missing}} / {{flow.data.x}}",
    "{{nodes.menu.digits}}{{widgets.menu.Digits}}{{widgets.ask.SpeechResult}}{{nodes.crm.StatusCode}}",
    "{{nodes.crm.parsed.tier}} {{nodes.crm.parsed.n}} {{nodes.crm.parsed.vip}} {{nodes.crm.parsed.items}}",
    "{{nodes.crm.parsed.items.size}} {{nodes.crm.parsed.items.first}} {{nodes.nope.digits}}",
    "{{ flow.variables.name | upcase }} {% if nodes.crm.parsed.vip %}VIP{% endif %}",
])
def test_fast_path_renders_exactly_what_liquid_renders(source):
    t = Template(source)
    assert t.render(CTX) == t._bound.render(**CTX)


def test_sandbox_has_no_includes_and_bounded_loops_and_output():
    with pytest.raises(TemplateError):
        Template('{% include "/etc/passwd" %}')
    with pytest.raises(TemplateError):
        Template('{% render "x" %}')
    with pytest.raises(LimitError, match="loop iteration limit"):  # never hangs; the author is told why
        Template("{% for i in (1..100000) %}x{% endfor %}").render(CTX)
    with pytest.raises(LimitError, match="output stream limit"):  # 90 KB asked for, over the output cap
        Template("{% for i in (1..900) %}" + "y" * 100 + "{% endfor %}").render(CTX)
    fits = Template("{% for i in (1..100) %}" + "y" * 100 + "{% endfor %}").render(CTX)
    assert len(fits) == 10_000 <= MAX_OUTPUT
    with pytest.raises(TemplateError):
        Template("{{ unclosed")


def test_unknown_filters_do_not_break_a_call():
    assert Template("a{{ flow.variables.name | no_such_filter }}b").render(CTX) in ("aAnnb", "ab")
