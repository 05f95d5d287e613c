// The test call: one simulated call on the server's virtual clock (POST
// /api/sim and its events). Shows each turn as the caller meets it, the
// variables, what the call waits for, and a form for the front-end's
// answer when the call waits on a lookup, hold, transfer or recording.

import { api, ApiError } from "./api.js";
import { h } from "./dom.js";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

// The forms the call's phase needs: the front-end answers, not the caller.
const RESULT_FORMS = {
  looking_up: "lookup",
  on_hold: "hold",
  transferring: "transfer",
  recording: "record",
};

/** "12.500 s": virtual time as the scenario files write it. */
export function seconds(ms) {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** "a=1 b=two" → {a: "1", b: "two"}; words without "=" are ignored. */
export function parseVars(text) {
  const vars = {};
  for (const pair of text.trim().split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq > 0) vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}


function actionText(a) {
  switch (a.kind) {
    case "say":
      return `say ${a.prompt}`;
    case "listen":
      return `listen ${a.timeout_ms} ms`;
    case "lookup":
      return `look up ${a.name}`;
    case "transfer":
      return `transfer to ${a.target}${a.reason ? ` (${a.reason})` : ""}`;
    case "record":
      return `record${a.into ? ` into ${a.into}` : ""}${a.max_ms ? `, at most ${a.max_ms} ms` : ""}`;
    case "hangup":
      return `hang up (${a.reason})`;
    default:
      // An action kind this page does not know yet: shown as the server sent it.
      return JSON.stringify(a);
  }
}

export class Simulator {
  /**
   * @param {{flow: () => {name: string, text: string, dirty: boolean} | null,
   *          onPath: (path: string[], current: string|null) => void,
   *          onSaved: () => void}} hooks
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.sim = null;
    this.lastVars = {};
    this.$ = (id) => document.getElementById(id);
    this.buildKeypad();
    this.defaultTime();
    this.$("sim-setup").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.start();
    });
    this.$("sim-say").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const words = this.$("sim-words").value.trim();
      if (!words) return;
      this.$("sim-words").value = "";
      this.send({ speech: words });
    });
    for (const b of document.querySelectorAll("#sim-call [data-act]")) {
      const event = {
        silence: { silence: true },
        weak: { weak_audio: true },
        noisy: { noise: true },
        no_audio: { no_audio: true },
        language: { other_language: true },
        hangup: { hangup: true },
      }[b.dataset.act];
      b.addEventListener("click", () => this.send(event));
    }
    for (const b of document.querySelectorAll("#sim-call [data-wait]")) {
      b.addEventListener("click", () => this.send({ advance_ms: Number(b.dataset.wait) }));
    }
    this.$("sim-save").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.saveAsTest();
    });
    this.$("sim-result").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.sendResult(ev.submitter?.value === "ok");
    });
    this.setActive(false);
  }

  buildKeypad() {
    const pad = this.$("sim-keypad");
    for (const k of KEYS) {
      const b = h("button", { type: "button", textContent: k, "data-key": k });
      b.setAttribute("aria-label", `key ${k}`);
      b.addEventListener("click", () => this.send({ keys: k }));
      pad.append(b);
    }
  }

  // A weekday afternoon, so the hotline is open unless the tester says otherwise.
  defaultTime() {
    const d = new Date();
    d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
    const pad = (n) => String(n).padStart(2, "0");
    this.$("sim-at").value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T15:00:00`;
  }

  /** The flow's locales and steps, for the setup's pickers. */
  setFlow(locales, steps) {
    const loc = this.$("sim-locale");
    const was = loc.value;
    loc.replaceChildren(...locales.map((l) => h("option", { value: l, textContent: l })));
    if (locales.includes(was)) loc.value = was;
    const start = this.$("sim-start");
    const chosen = start.value;
    start.replaceChildren(
      h("option", { value: "", textContent: "(the flow's start)" }),
      ...steps.map((s) => h("option", { value: s, textContent: s })),
    );
    if (steps.includes(chosen)) start.value = chosen;
  }

  setActive(live) {
    const call = this.$("sim-call");
    call.dataset.state = this.sim ? (this.sim.ended ? "ended" : "live") : "idle";
    for (const c of call.querySelectorAll(".say input, .say button, .controls button")) {
      c.disabled = !live;
    }
  }

  async start() {
    const flow = this.hooks.flow();
    if (!flow) return;
    if (this.sim && !this.sim.ended) api.simForget(this.sim.id).catch(() => {});
    const at = `${this.$("sim-at").value.length === 16 ? this.$("sim-at").value + ":00" : this.$("sim-at").value}${this.$("sim-offset")?.value ?? "+08:00"}`;
    const setup = {
      name: flow.name,
      // An unsaved edit is simulated as typed; a saved one as published, so
      // the call can become a test.
      text: flow.dirty ? flow.text : null,
      at,
      locale: this.$("sim-locale").value || null,
      start_step: this.$("sim-start").value || null,
      variables: parseVars(this.$("sim-vars").value),
    };
    this.$("sim-turns").replaceChildren();
    this.$("sim-save-status").textContent = "";
    this.lastVars = { ...setup.variables };
    try {
      this.sim = await api.simStart(setup);
      this.show(this.sim);
    } catch (e) {
      this.sim = null;
      this.note(this.errorText(e));
      this.setActive(false);
    }
  }

  async send(event) {
    if (!this.sim || this.sim.ended) return;
    try {
      this.show(await api.simEvent(this.sim.id, event));
    } catch (e) {
      this.note(this.errorText(e));
    }
  }

  sendResult(ok) {
    const form = this.$("sim-result");
    const kind = form.dataset.kind;
    const vars = parseVars(form.querySelector("[name=variables]")?.value ?? "");
    switch (kind) {
      case "lookup":
        return this.send({ lookup_result: { name: form.querySelector("[name=name]").value, ok, variables: vars } });
      case "hold":
        return this.send({ hold_result: { ok, variables: vars } });
      case "transfer": {
        const cause = form.querySelector("[name=cause]").value;
        return this.send({ transfer_result: ok ? { ok } : { ok, ...(cause ? { cause } : {}) } });
      }
      case "record": {
        const recording = form.querySelector("[name=recording]").value;
        return this.send({ recording_result: ok ? { ok, recording } : { ok } });
      }
      default:
        return undefined;
    }
  }

  errorText(e) {
    if (e instanceof ApiError && e.body?.diagnostics) {
      return `The script has errors; fix them first (${e.body.diagnostics.length} in the checks).`;
    }
    return e.message;
  }

  note(text) {
    this.$("sim-turns").append(h("li", { class: "note", textContent: text }));
  }

  /** Shows a simulation answer: its new turns, state, variables and forms. */
  show(sim) {
    this.sim = sim;
    this.$("sim-clock").textContent = seconds(sim.clock_ms);
    this.$("sim-clock").dataset.ms = sim.clock_ms;
    this.$("sim-phase").textContent = sim.ended ? `ended: ${sim.end_reason}` : `${sim.state} at ${sim.step}`;
    for (const t of sim.turns) this.$("sim-turns").append(this.turn(t));
    if (sim.note) this.note(sim.note);
    if (sim.ended && sim.score) this.$("sim-turns").append(this.score(sim.score));
    const last = this.$("sim-turns").lastElementChild;
    if (last) last.scrollIntoView({ block: "nearest" });
    this.$("sim-waiting").textContent = sim.ended ? "" : sim.waits_for ?? "";
    this.variables(sim.variables);
    this.resultForm(sim);
    this.setActive(!sim.ended);
    this.hooks.onPath(sim.path, sim.ended ? null : sim.step);
  }

  turn(t) {
    const li = h("li", { class: "turn", "data-at-ms": t.at_ms, "data-step": t.step ?? "", "data-state": t.state ?? "" });
    li.append(
      h(
        "div",
        { class: "turn-head" },
        h("time", { class: "at", textContent: seconds(t.at_ms) }),
        h("span", { class: `event ${t.event?.kind ?? ""}`, textContent: t.event?.text ?? t.event?.kind ?? "" }),
        h("span", { class: "where", textContent: [t.step, t.state].filter(Boolean).join(" · ") }),
      ),
    );
    if (t.understood) {
      const what = t.understood.intents.length ? `understood as ${t.understood.intents.join(", ")}` : "not understood";
      // The reason only when it says more than the verdict.
      const why = t.understood.why && t.understood.why !== what ? ` — ${t.understood.why}` : "";
      li.append(
        h("div", { class: "understood", "data-intents": t.understood.intents.join(" ") },
          h("b", { textContent: what }),
          why ? h("span", { class: "why", textContent: why }) : null),
      );
    }
    for (const p of t.prompts ?? []) {
      li.append(
        h("blockquote", { class: "prompt", "data-prompt": p.id },
          h("code", { class: "prompt-id", textContent: p.id }),
          h("span", { class: "prompt-text", textContent: p.text })),
      );
    }
    const others = (t.actions ?? []).filter((a) => a.kind !== "say");
    if (others.length) {
      li.append(h("ul", { class: "actions" }, ...others.map((a) => h("li", { "data-action": a.kind, textContent: actionText(a) }))));
    }
    const changed = Object.entries(t.variables ?? {}).filter(([k, v]) => this.lastVars[k] !== v);
    if (changed.length) {
      li.append(h("div", { class: "set", textContent: changed.map(([k, v]) => `${k} = ${v}`).join(", ") }));
    }
    this.lastVars = { ...(t.variables ?? {}) };
    if (t.ended) li.append(h("div", { class: "ended", "data-ended": t.ended, textContent: `call ended: ${t.ended}` }));
    return li;
  }

  score(score) {
    return h(
      "li",
      { class: "score", "data-score": score.total },
      h("b", { textContent: `quality score ${score.total}` }),
      h("ul", {}, ...(score.deductions ?? []).map((d) => h("li", { textContent: `−${d.points} ${d.item ?? ""} ${d.rule}: ${d.words ?? ""}` }))),
    );
  }

  variables(vars) {
    const dl = this.$("sim-variables");
    dl.replaceChildren();
    for (const [k, v] of Object.entries(vars ?? {}).sort()) {
      dl.append(h("dt", { textContent: k }), h("dd", { textContent: v, "data-var": k }));
    }
  }

  resultForm(sim) {
    const form = this.$("sim-result");
    const kind = sim.ended ? undefined : RESULT_FORMS[sim.state];
    form.hidden = !kind;
    if (!kind || form.dataset.kind === kind) return;
    form.dataset.kind = kind;
    const lastLookup = [...this.$("sim-turns").querySelectorAll('[data-action="lookup"]')].pop();
    const lookupName = lastLookup ? lastLookup.textContent.replace(/^look up /, "") : "";
    const field = (label, name, value = "", placeholder = "") =>
      h("label", {}, label, h("input", { type: "text", name, value, placeholder }));
    const title = {
      lookup: "The lookup's answer (from the front-end)",
      hold: "The end of the hold (from the back office)",
      transfer: "The transfer's result (from the switch)",
      record: "The recording (from the front-end)",
    }[kind];
    const fields = {
      lookup: [field("Lookup", "name", lookupName), field("Gives", "variables", "", "amount=58.50")],
      hold: [field("Variables", "variables", "", "name=value")],
      transfer: [
        h("label", {}, "If it failed",
          h("select", { name: "cause" }, ...["", "busy", "no_answer", "rejected"].map((c) => h("option", { value: c, textContent: c || "(no cause)" })))),
      ],
      record: [field("Recording", "recording", "vm/0001.wav")],
    }[kind];
    form.replaceChildren(
      h("p", { class: "result-title", textContent: title }),
      ...fields,
      h("div", { class: "buttons" },
        h("button", { type: "submit", value: "ok", class: "primary", textContent: "Answered (ok)" }),
        h("button", { type: "submit", value: "failed", textContent: "Failed" })),
    );
  }

  async saveAsTest() {
    const flow = this.hooks.flow();
    const status = this.$("sim-save-status");
    if (!this.sim || !flow) {
      status.textContent = "Start a call first.";
      return;
    }
    let name = this.$("sim-test-name").value.trim();
    if (!name.endsWith(".toml")) name += ".toml";
    try {
      const scenario = await api.simScenario(this.sim.id);
      const saved = await api.saveScenario(flow.name, name, scenario);
      status.textContent = `Saved ${saved.path}`;
      status.dataset.saved = saved.path;
      this.hooks.onSaved();
    } catch (e) {
      status.textContent = `Not saved: ${e.message}`;
      delete status.dataset.saved;
    }
  }
}
