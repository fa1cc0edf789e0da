from ringflow.model.catalogue import CATALOGUE, TYPE_CODES, default_config, outlets_of

REQUIRED = {
    "say": ({"text", "voice", "language", "loop"}, ["next"]),
    "play": ({"url", "loop"}, ["next"]),
    "pause": ({"seconds"}, ["next"]),
    "gather": ({"prompt", "input", "num_digits", "timeout", "finish_on_key", "hints"}, ["keypress", "speech", "timeout"]),
    "set": ({"variables"}, ["next"]),
    "http": ({"method", "url", "headers", "body", "timeout"}, ["success", "failed"]),
    "transfer": ({"to", "caller_id", "timeout", "record"}, ["completed", "busy", "no_answer", "failed"]),
    "record": ({"max_length", "beep", "transcribe"}, ["recorded", "no_audio", "hangup"]),
    "enqueue": ({"queue", "priority"}, ["completed", "failed"]),
    "business_hours": ({"timezone", "schedule", "holidays"}, ["open", "closed"]),
    "subflow": ({"flow_id"}, ["completed", "failed"]),
    "hangup": (set(), []),
}


def test_every_required_type_has_its_fields_and_outlets():
    for name, (fields, outlets) in REQUIRED.items():
        nt = CATALOGUE[name]
        assert fields <= set(nt.field_map()), name
        assert outlets_of(name, default_config(name)) == outlets, name


def test_menu_has_one_outlet_per_digit_then_invalid_and_timeout():
    assert outlets_of("menu", {"digits": ["1", "2", "*"]}) == ["1", "2", "*", "invalid", "timeout"]


def test_split_has_one_outlet_per_case_then_no_match():
    cases = [{"name": "gold", "op": "equals", "value": "g"}, {"name": "vip", "op": "regex", "value": "^v"}]
    assert outlets_of("split", {"cases": cases}) == ["gold", "vip", "no_match"]


def test_type_codes_are_stable_small_integers():
    assert sorted(TYPE_CODES.values()) == list(range(len(CATALOGUE)))
    assert TYPE_CODES["say"] == 0


def test_default_config_is_a_fresh_copy():
    a = default_config("business_hours")
    a["schedule"]["mon"].append(["18:00", "19:00"])
    assert default_config("business_hours")["schedule"]["mon"] == [["09:00", "17:00"]]


def test_each_type_has_its_own_icon_and_a_summary_of_its_own_fields():
    from ringflow.model.catalogue import CATALOGUE

    icons = [t.icon for t in CATALOGUE.values()]
    assert all(icons) and len(set(icons)) == len(icons)  # Say, Play, Pause and Hang up no longer share one
    for t in CATALOGUE.values():
        assert set(t.summary) <= set(t.field_map()), t.name
        assert set(t.expected_outlets) <= set(t.outlets), t.name


def test_dynamic_outlets_come_from_the_one_field_they_name():
    """Validation works a type's outlets out once per distinct value of ``dynamic_from``: the
    outlets must depend on that field alone."""
    from ringflow.model.catalogue import CATALOGUE, default_config

    samples = {"digits": ["1", "9", "#"], "cases": [{"name": "gold", "op": "equals", "value": "g"}], "outlets": ["a", "b"]}
    for nt in CATALOGUE.values():
        assert bool(nt.dynamic_outlets) == bool(nt.dynamic_from), nt.name
        if not nt.dynamic_outlets:
            continue
        assert nt.dynamic_from in {f.name for f in nt.fields}, nt.name
        config = {**default_config(nt.name), nt.dynamic_from: samples[nt.dynamic_from]}
        alone = {nt.dynamic_from: samples[nt.dynamic_from]}
        assert nt.outlets_for(config) == nt.outlets_for(alone) != list(nt.outlets), nt.name
