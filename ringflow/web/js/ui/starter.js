// The document a new flow starts with: a greeting and a hang-up, so it validates and can be
// published and test-called straight away.

export function starterFlow(name) {
  return {
    name,
    start: "welcome",
    nodes: [
      { id: "welcome", type: "say", x: 0, y: 0, label: "Welcome", config: { text: `Thanks for calling ${name}.` } },
      { id: "goodbye", type: "hangup", x: 0, y: 160, label: "Hang up", config: {} },
    ],
    edges: [{ source: "welcome", outlet: "next", target: "goodbye" }],
  };
}
