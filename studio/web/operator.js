// The operators' view: live calls (where each is, for how long) and recent
// ended calls with their transcript and quality score. Numbers come masked
// from the server unless the token may see them.

import { api } from "./api.js";
import { h } from "./dom.js";


const REFRESH_MS = 2000;

export class Operator {
  constructor() {
    this.timer = null;
    this.body = document.querySelector("#live-calls tbody");
    this.recent = document.getElementById("recent-calls");
  }

  open() {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  close() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    try {
      const [live, recent] = await Promise.all([api.liveCalls(), api.recentCalls()]);
      this.body.replaceChildren(
        ...(live.length
          ? live.map((c) =>
              h("tr", { dataset: { call: c.call_id } },
                ...[c.call_id, c.flow, `${c.step} (${c.state})`, `${c.seconds_in_step} s`, c.locale, c.caller ?? ""].map(
                  (v) => h("td", { textContent: v }),
                )),
            )
          : [h("tr", {}, h("td", { colSpan: 6, textContent: "No calls right now." }))]),
      );
      this.recent.replaceChildren(...recent.map((c) => this.ended(c)));
    } catch (e) {
      this.body.replaceChildren(h("tr", {}, h("td", { colSpan: 6, textContent: e.message })));
      this.close();
    }
  }

  ended(c) {
    const score = c.score;
    return h(
      "li",
      { dataset: { call: c.call_id } },
      h("details", {},
        h("summary", {},
          h("b", { textContent: c.call_id }),
          ` ${c.flow} · ${c.locale} · ${c.caller ?? ""} · ${c.started} · ${c.seconds} s · ${c.end_reason} · `,
          h("span", { class: "score", textContent: score ? `score ${score.total}` : "" })),
        h("pre", { class: "transcript", textContent: c.transcript ?? "" }),
        score?.deductions?.length
          ? h("ul", {}, ...score.deductions.map((d) => h("li", { textContent: `−${d.points} ${d.item ?? ""} ${d.rule}: ${d.words ?? ""}` })))
          : null),
    );
  }
}
