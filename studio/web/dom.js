// Building the page's elements: one helper, so every pane sets classes,
// data attributes (which the browser tests read) and text the same way.

/**
 * h("li", {class: "turn", "data-step": "bill", textContent: "…"}, child, …)
 * `class` and `data-*` become attributes, `dataset` is merged, anything
 * else is set as a property. Null children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("data-") || k.startsWith("aria-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
