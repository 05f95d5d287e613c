// The pieces of CodeMirror 6 the studio's editor uses (studio/web/editor.js),
// bundled into one ES module so the page needs no Node toolchain.
export { EditorState } from "@codemirror/state";
export {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
} from "@codemirror/view";
export {
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab,
} from "@codemirror/commands";
export {
  StreamLanguage,
  syntaxHighlighting,
  defaultHighlightStyle,
  bracketMatching,
} from "@codemirror/language";
export { toml } from "@codemirror/legacy-modes/mode/toml";
export { setDiagnostics, lintGutter } from "@codemirror/lint";
