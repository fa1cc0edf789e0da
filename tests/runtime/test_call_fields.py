"""Issue 17, D4/D5: every parameter of the provider's voice request reaches templates as
trigger.call.*, and Studio's contact.channel.address / flow.channel.address resolve."""

from __future__ import annotations

from ringflow.runtime.backends import decode_state, encode_state
from ringflow.runtime.callinfo import call_from_form, contact, flow_channel, trigger
from ringflow.runtime.compile import compile_flow
from ringflow.runtime.engine import advance, new_call

from .conftest import publish
from .flows import doc
from .test_routes import first, parse, sid

FLOW = doc([("w", "say", {"text": "{{trigger.call.CallerName}} from {{trigger.call.FromCity}}, {{trigger.call.FromState}} "
                                  "{{trigger.call.FromZip}} {{trigger.call.FromCountry}} via {{trigger.call.ForwardedFrom}} "
                                  "to {{trigger.call.ToCity}} ({{trigger.call.CallStatus}}, {{trigger.call.ApiVersion}})"}),
            ("x", "say", {"text": "{% if contact.channel.address == trigger.call.From %}contact {{contact.channel.address}} "
                                  "flow {{flow.channel.address}}{% endif %}"}),
            ("d", "transfer", {"to": "+15550001111", "caller_id": "{{contact.channel.address}}"})],
           [("w", "next", "x"), ("x", "next", "d")])


def test_every_voice_parameter_and_the_contact_address_reach_the_call(client, alice):
    flow_id = publish(client, alice, FLOW)
    root = parse(first(client, flow_id, sid(), CallerName="ACME CORP", FromCity="PORTLAND", FromState="OR", FromZip="97201",
                       FromCountry="US", ForwardedFrom="+15557778888", ToCity="SALEM", ApiVersion="2010-04-01"))
    assert root[0].text == "ACME CORP from PORTLAND, OR 97201 US via +15557778888 to SALEM (ringing, 2010-04-01)"
    assert root[1].text == "contact +15551112222 flow +15553334444"
    assert root.find("Dial").get("callerId") == "+15551112222"


def test_outbound_call_contact_is_the_called_party_and_state_round_trips():
    call = call_from_form("CA" + "3" * 32, {"From": "+15550000001", "To": "+15550000002", "Direction": "outbound-api",
                                            "AccountSid": "AC1", "FromCity": "X", "CallerName": ""})
    assert call[5:] == ("FromCity", "X")  # empty parameters cost nothing
    assert contact(call)["channel"]["address"] == "+15550000002" and flow_channel(call)["address"] == "+15550000001"
    assert trigger(call)["call"]["FromCity"] == "X" and trigger(call)["call"]["Direction"] == "outbound-api"
    cf = compile_flow(doc([("h", "hangup", {})], []), (1, 2, 3))
    st = advance(cf, new_call(cf, call), ("start",), 0.0).state
    assert decode_state(encode_state(st), call[0]).call == st.call  # the Redis form keeps the extras
