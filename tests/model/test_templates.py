"""Templates: the simple-output shortcut never clears a text the Liquid parser would refuse."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ringflow.model.rules import SIMPLE_TEMPLATE_RE, template_error

PIECES = ["{{", "}}", "{", "}", "%", " ", ".", "[", "]", "0", "12", "a", "_x", "Z9", "é", "٣", "\n", "\x00", "hi ", "nodes.menu.digits"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_what_the_shortcut_clears_liquid_parses(text):
    if SIMPLE_TEMPLATE_RE.match(text):
        template_error.cache_clear()
        from liquid import Environment

        Environment().from_string(text)  # raises if the shortcut cleared a broken template


def test_common_templates_are_cleared_and_broken_ones_are_not():
    fine = ["plain text, 50% off", "Hi {{trigger.call.From}}.", "{{ nodes.menu.digits }}", "{{a[0].b}} and {{ _x }}", "",
            "{% if x %}y{% endif %}"]
    broken = ["{{ trigger", "{% if x %}y", "{{ a | }}"]
    assert [template_error(t) for t in fine] == [None] * len(fine)
    assert all(template_error(t) for t in broken)


def test_paths_liquid_refuses_are_not_cleared_by_the_shortcut():
    """Found by the property test above: doubled, trailing and numeric dots, and a dot before an index."""
    for text in ["{{a..a}}", "{{a.}}", "{{a.0}}", "{{a.[0]}}", "Hi {{ trigger.call..From }}"]:
        template_error.cache_clear()
        assert not SIMPLE_TEMPLATE_RE.match(text), text
        assert template_error(text), text
