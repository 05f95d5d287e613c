// Publishing a flow: "Save flow" sends the text with the hash it was
// opened at (PUT /api/flows/{name}); a 409 shows what changed on disk and
// offers to reload it; a 422 shows the errors. Also the change log.

import { api, ApiError } from "./api.js";
import { h } from "./dom.js";


/** A unified diff as lines classed by what they do. */
export function renderDiff(pre, diff) {
  pre.replaceChildren(
    ...String(diff ?? "")
      .split("\n")
      .map((line) => {
        const cls = line.startsWith("@@")
          ? "hunk"
          : line.startsWith("+") && !line.startsWith("+++")
            ? "add"
            : line.startsWith("-") && !line.startsWith("---")
              ? "del"
              : "";
        return h("span", { class: cls, textContent: `${line}\n` });
      }),
  );
}

export class Publisher {
  /**
   * @param {{current: () => {name: string, text: string, hash: string|null} | null,
   *          saved: (hash: string, warnings: object[]) => void,
   *          reload: () => void,
   *          errors: (diagnostics: object[]) => void,
   *          status: (text: string, kind?: string) => void}} hooks
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.conflict = document.getElementById("conflict");
    document.getElementById("save-flow").addEventListener("click", () => this.save());
    document.getElementById("conflict-reload").addEventListener("click", () => {
      this.conflict.close();
      this.hooks.reload();
    });
    document.getElementById("conflict-keep").addEventListener("click", () => this.conflict.close());
  }

  async save() {
    const flow = this.hooks.current();
    if (!flow) return;
    this.hooks.status("Saving…");
    try {
      const r = await api.publish(flow.name, flow.text, flow.hash);
      const w = r.warnings?.length ?? 0;
      this.hooks.saved(r.hash, r.warnings ?? []);
      this.hooks.status(`Saved (${r.hash})${w ? `, ${w} warning${w > 1 ? "s" : ""}` : ""}`, "ok");
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        renderDiff(document.getElementById("conflict-diff"), e.body?.diff);
        this.conflict.dataset.currentHash = e.body?.current_hash ?? "";
        this.conflict.showModal();
        this.hooks.status("Not saved: someone else saved first", "error");
      } else if (e instanceof ApiError && e.status === 422) {
        this.hooks.errors(e.body?.diagnostics ?? []);
        this.hooks.status("Not saved: the script has errors (see the checks)", "error");
      } else {
        this.hooks.status(`Not saved: ${e.message}`, "error");
      }
    }
  }
}

/** The change log drawer: who saved which flow when, with the diff. */
export async function showChanges(list, name) {
  list.replaceChildren(h("li", { textContent: "Loading…" }));
  try {
    const changes = await api.changes(name);
    list.replaceChildren(
      ...(changes.length ? changes : [null]).map((c) => {
        if (!c) return h("li", { textContent: "No saves yet." });
        const pre = h("pre", { class: "diff" });
        renderDiff(pre, c.diff);
        return h(
          "li",
          { class: "change" },
          h("details", {},
            h("summary", {},
              h("time", { textContent: c.at }),
              ` ${c.who ?? "(open studio)"} saved ${c.file} `,
              h("code", { textContent: `${c.from_hash ?? "new"} → ${c.to_hash}` })),
            pre),
        );
      }),
    );
  } catch (e) {
    list.replaceChildren(h("li", { textContent: e.message }));
  }
}
