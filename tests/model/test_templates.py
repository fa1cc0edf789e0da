"""The C template scanner never clears a text the simple-template regex would not."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ringflow.model.fastcheck import native_unclear, templates_ok, unclear_py
from ringflow.model.fieldcheck import SIMPLE_TEMPLATE_RE

PIECES = ["{{", "}}", "{", "}", "%", " ", ".", "[", "]", "0", "12", "a", "_x", "Z9", "é", "٣", "\n", "\x00", "hi ", "nodes.menu.digits"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_what_c_clears_the_regex_clears(text):
    if not native_unclear([text]):
        assert "{" not in text or SIMPLE_TEMPLATE_RE.match(text)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join).filter(lambda t: t.isascii()))
def test_on_ascii_text_c_and_the_regex_agree(text):
    assert native_unclear([text]) == unclear_py([text])


def test_common_templates_are_cleared_and_broken_ones_are_not():
    fine = ["plain text, 50% off", "Hi {{trigger.call.From}}.", "{{ nodes.menu.digits }}", "{{a[0].b}} and {{ _x }}", ""]
    broken = ["{{ trigger", "{% if x %}y{% endif %}", "{{ 1x }}", "{{a}}}", "{{ a | upcase }}"]
    assert native_unclear(fine) == []
    assert native_unclear(broken) == broken
    assert native_unclear(["{{ é }}", 5]) == ["{{ é }}", 5]  # a letter beyond ASCII, a non-text: the slow path decides
    assert templates_ok(fine) and not templates_ok(["{{ trigger"]) and templates_ok(["{% if x %}y{% endif %}"])
