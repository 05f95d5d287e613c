// The flow's TOML in CodeMirror 6 (vendor/codemirror.js, built by
// studio/editor-bundle/), with the checker's diagnostics underlined and in
// the gutter, and the step the cursor is in reported to the diagram.

import {
  EditorState,
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab,
  StreamLanguage,
  syntaxHighlighting,
  defaultHighlightStyle,
  bracketMatching,
  toml,
  setDiagnostics,
  lintGutter,
} from "./vendor/codemirror.js";

// A step's table header: `[steps.NAME]` or, inside a subflow,
// `[subflows.SUB.steps.NAME]`. Sub-tables (`[steps.NAME.on]`) belong to it.
const STEP_HEADER = /^\s*\[\s*(?:subflows\.([A-Za-z0-9_-]+)\.)?steps\.([A-Za-z0-9_-]+)/;
const ANY_HEADER = /^\s*\[/;

/** The step a 1-based line is inside, or null outside the steps. */
export function stepAtLine(text, line) {
  const lines = text.split("\n");
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = STEP_HEADER.exec(lines[i]);
    if (m) return { subflow: m[1] || null, step: m[2] };
    if (ANY_HEADER.test(lines[i])) return null;
  }
  return null;
}

/** The 1-based line of a step's header, or null. */
export function lineOfStep(text, step, subflow) {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = STEP_HEADER.exec(lines[i]);
    if (m && m[2] === step && (subflow === undefined || (m[1] || null) === subflow)) return i + 1;
  }
  return null;
}

export class Editor {
  /**
   * @param {HTMLElement} parent
   * @param {{onChange: (text: string) => void, onStep: (step: {subflow: string|null, step: string}|null) => void}} hooks
   */
  constructor(parent, hooks) {
    this.hooks = hooks;
    this.lastStep = undefined;
    this.view = new EditorView({
      parent,
      state: EditorState.create({ doc: "", extensions: this.extensions() }),
    });
    this.view.contentDOM.setAttribute("aria-label", "Flow file (TOML)");
    this.view.contentDOM.id = "editor-text";
  }

  extensions() {
    return [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      drawSelection(),
      history(),
      bracketMatching(),
      StreamLanguage.define(toml),
      syntaxHighlighting(defaultHighlightStyle),
      lintGutter(),
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) this.hooks.onChange(this.text());
        if (u.docChanged || u.selectionSet) this.reportStep();
      }),
    ];
  }

  text() {
    return this.view.state.doc.toString();
  }

  /** Replaces the whole text (opening a flow), without undo history. */
  load(text) {
    this.view.setState(EditorState.create({ doc: text, extensions: this.extensions() }));
    this.lastStep = undefined;
    this.hooks.onChange(text);
  }

  cursorLine() {
    const head = this.view.state.selection.main.head;
    return this.view.state.doc.lineAt(head).number;
  }

  reportStep() {
    const at = stepAtLine(this.text(), this.cursorLine());
    const key = at ? `${at.subflow}/${at.step}` : null;
    if (key === this.lastStep) return;
    this.lastStep = key;
    this.hooks.onStep(at);
  }

  /** Moves the cursor to a 1-based line and column and shows it. */
  goTo(line, column = 1) {
    const doc = this.view.state.doc;
    const l = doc.line(Math.max(1, Math.min(line, doc.lines)));
    const pos = Math.min(l.from + Math.max(0, column - 1), l.to);
    this.view.dispatch({
      selection: { anchor: pos },
      effects: EditorView.scrollIntoView(pos, { y: "center" }),
    });
    this.view.focus();
  }

  /** Underlines the checker's findings: {line, column, severity, message}. */
  showDiagnostics(diagnostics) {
    const doc = this.view.state.doc;
    const marks = [];
    for (const d of diagnostics) {
      if (!d.line || d.line > doc.lines) continue;
      const l = doc.line(d.line);
      const from = Math.min(l.from + Math.max(0, (d.column || 1) - 1), l.to);
      // To the end of the word the column points at, else the line's end.
      const rest = doc.sliceString(from, l.to);
      const word = /^[^\s=\]]+/.exec(rest);
      const to = word ? from + word[0].length : l.to;
      marks.push({
        from,
        to: Math.max(to, from),
        severity: d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info",
        message: d.message,
      });
    }
    this.view.dispatch(setDiagnostics(this.view.state, marks));
  }
}
