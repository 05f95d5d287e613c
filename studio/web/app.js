// The studio page: three panes (script, flow diagram, test call) and the
// drawers (change log, calls), wired to one another. Each pane is its own
// module; this one holds the open flow and passes events between them.

import { api, ApiError } from "./api.js";
import { h } from "./dom.js";
import { Editor, lineOfStep } from "./editor.js";
import { Diagram } from "./diagram.js";
import { Simulator } from "./simulator.js";
import { Publisher, showChanges } from "./publish.js";
import { Operator } from "./operator.js";

// Long enough not to check on every keystroke, short enough to feel live.
const CHECK_DEBOUNCE_MS = 300;
const FALLBACK_LOCALES = ["zh-CN", "zh-TW", "en"];

const $ = (id) => document.getElementById(id);

/** The flow being edited: its name, the text and hash it was opened at. */
let opened = null;
let checkTimer = null;
let checkSeq = 0; // answers to older texts are dropped

const editor = new Editor($("editor"), {
  onChange: (text) => {
    markDirty(text);
    clearTimeout(checkTimer);
    checkTimer = setTimeout(() => check(text), CHECK_DEBOUNCE_MS);
  },
  onStep: (at) => diagram.highlightCursor(at ? (at.subflow ? `${at.subflow}.${at.step}` : at.step) : null),
});

const diagram = new Diagram($("diagram"), {
  onNode: (node) => {
    const line = node.line ?? (node.step ? lineOfStep(editor.text(), node.step.split(".").pop()) : null);
    if (line) editor.goTo(line);
  },
});

const simulator = new Simulator({
  flow: () => opened && { name: opened.name, text: editor.text(), dirty: editor.text() !== opened.text },
  onPath: (path, current) => diagram.highlightPath(path, current),
  onSaved: () => coverage(),
});

new Publisher({
  current: () => opened && { name: opened.name, text: editor.text(), hash: opened.hash },
  saved: (hash, warnings) => {
    opened = { ...opened, hash, text: editor.text() };
    markDirty(editor.text());
    if (warnings.length) showDiagnostics(warnings);
  },
  reload: () => openFlow(opened.name),
  errors: showDiagnostics,
  status,
});

const operator = new Operator();

function status(text, kind = "") {
  const s = $("flow-status");
  s.textContent = text;
  s.dataset.kind = kind;
}

function markDirty(text) {
  const dirty = opened !== null && text !== opened.text;
  document.body.dataset.dirty = dirty;
  if (opened) $("flow-select").title = `${opened.name} at ${opened.hash}${dirty ? " (edited)" : ""}`;
}

async function check(text) {
  if (!opened) return;
  const seq = ++checkSeq;
  try {
    const r = await api.check(opened.name, text);
    if (seq !== checkSeq) return;
    showDiagnostics(r.diagnostics);
    if (r.graph) {
      diagram.draw(r.graph);
      $("diagram-status").textContent = "";
      const steps = r.graph.nodes.filter((n) => n.kind === "step").map((n) => n.step);
      simulator.setFlow(localesOf(text), steps);
    } else {
      $("diagram-status").textContent = "The diagram shows the last text that compiled.";
    }
  } catch (e) {
    if (seq === checkSeq) status(`Check failed: ${e.message}`, "error");
  }
}

// The flow's `locales = [...]` line, read from the text so the picker
// follows an edit before it is saved.
function localesOf(text) {
  const m = /^\s*locales\s*=\s*\[([^\]]*)\]/m.exec(text);
  const found = m ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) : [];
  return found.length ? found : FALLBACK_LOCALES;
}

function showDiagnostics(diagnostics) {
  editor.showDiagnostics(diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const summary = $("check-summary");
  summary.dataset.errors = errors;
  summary.dataset.warnings = warnings;
  summary.textContent = diagnostics.length
    ? `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`
    : "no problems";
  $("diagnostics").replaceChildren(
    ...diagnostics.map((d) => {
      const li = h(
        "li",
        {
          class: `diagnostic ${d.severity}`,
          tabIndex: 0,
          "data-line": d.line,
          "data-column": d.column,
          "data-severity": d.severity,
          "data-norm": d.norm ?? "",
        },
        h("span", { class: "pos", textContent: `${d.line}:${d.column}` }),
        h("span", { class: "sev", textContent: d.severity }),
        d.norm ? h("span", { class: "norm", textContent: d.norm }) : null,
        h("span", { class: "msg", textContent: d.message }),
        d.fix ? h("span", { class: "fix", textContent: `fix: ${d.fix}` }) : null,
      );
      const go = () => editor.goTo(d.line, d.column);
      li.addEventListener("click", go);
      li.addEventListener("keydown", (ev) => ev.key === "Enter" && go());
      return li;
    }),
  );
}

async function coverage() {
  if (!opened) return;
  try {
    const c = await api.coverage(opened.name);
    $("coverage-percent").textContent = `${c.percent.toFixed(1)} % (${c.covered} of ${c.transitions})`;
    $("coverage-percent").dataset.percent = c.percent;
    $("coverage-bar").style.width = `${c.percent}%`;
    $("coverage-missing").replaceChildren(
      ...c.uncovered.map((t) =>
        h("li", { "data-from": t.from, "data-to": t.to }, `${t.from} → ${t.to}`, t.label ? ` (${t.label})` : ""),
      ),
    );
  } catch (e) {
    $("coverage-percent").textContent = e.message;
  }
}

async function openFlow(name) {
  status("Opening…");
  const f = await api.flow(name);
  opened = { name: f.name, hash: f.hash, text: f.text };
  $("flow-select").value = f.name;
  const url = new URL(location.href);
  url.searchParams.set("flow", f.name);
  history.replaceState(null, "", url);
  editor.load(f.text);
  status(`${f.file} at ${f.hash}`);
  coverage();
}

function drawers() {
  const toggle = (button, panel, onOpen, onClose) => {
    $(button).addEventListener("click", () => {
      const p = $(panel);
      p.hidden = !p.hidden;
      $(button).setAttribute("aria-expanded", String(!p.hidden));
      (p.hidden ? onClose : onOpen)();
    });
    $(panel).querySelector("[data-close]").addEventListener("click", () => {
      $(panel).hidden = true;
      $(button).setAttribute("aria-expanded", "false");
      onClose();
    });
  };
  toggle("show-changes", "changes-panel", () => opened && showChanges($("changes"), opened.name), () => {});
  toggle("show-operator", "operator-panel", () => operator.open(), () => operator.close());
}

async function main() {
  drawers();
  $("show-background").addEventListener("change", (ev) => diagram.setBackground(ev.target.checked));
  $("zoom-out").addEventListener("click", () => diagram.setZoom(diagram.zoom / 1.25));
  $("zoom-in").addEventListener("click", () => diagram.setZoom(diagram.zoom * 1.25));
  $("zoom-fit").addEventListener("click", () => diagram.setZoom("fit"));
  $("flow-select").addEventListener("change", (ev) => openFlow(ev.target.value));
  try {
    const who = await api.whoami();
    document.body.dataset.roles = who.roles.join(" ");
    if (!who.roles.some((r) => r === "designer" || r === "admin")) {
      // An operator's token: only the calls drawer has anything to show.
      $("show-operator").click();
      return;
    }
    const flows = await api.flows();
    $("flow-select").replaceChildren(
      ...flows.map((f) => h("option", { value: f.name, textContent: `${f.name} (${f.file})` })),
    );
    const wanted = new URL(location.href).searchParams.get("flow");
    const first = flows.find((f) => f.name === wanted) ?? flows[0];
    if (first) await openFlow(first.name);
    document.body.dataset.ready = "true";
  } catch (e) {
    status(e instanceof ApiError && e.status === 403 ? "This token may not use the studio." : e.message, "error");
  }
}

main();
