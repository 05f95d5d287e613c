// The studio's one door to the server's HTTP API (README "Studio" → "HTTP
// API"). Every call goes through `request`, so the bearer token, the 401
// sign-in prompt and error decoding live in one place.

const TOKEN_KEY = "callscript-studio-token";

/** An answer other than 2xx, with its decoded JSON body when it had one. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let signingIn = null; // one prompt however many requests hit 401 at once

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

// Shows the sign-in dialog and resolves once a token is typed. `why` says
// what was refused: a wrong token reads differently from no token.
function askForToken(why) {
  if (signingIn) return signingIn;
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  document.getElementById("token-why").textContent = why;
  input.value = "";
  signingIn = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        signingIn = null;
        resolve();
      },
      { once: true },
    );
  });
  dialog.showModal();
  input.focus();
  return signingIn;
}

async function request(method, path, body) {
  for (;;) {
    const headers = { Accept: "application/json" };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) {
      await askForToken(
        t
          ? "That token was not accepted. Try another."
          : "The studio needs an access token (a designer's to edit and simulate, an operator's to see calls).",
      );
      continue;
    }
    const text = await res.text();
    // JSON, except a scenario file (text/plain or application/toml).
    const json = (res.headers.get("Content-Type") || "").includes("json");
    let data = text || null;
    if (text && json) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { error: text };
      }
    } else if (!res.ok) data = { error: text };
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
}

const enc = encodeURIComponent;

export const api = {
  whoami: () => request("GET", "/api/whoami"),
  flows: () => request("GET", "/api/flows"),
  flow: (name) => request("GET", `/api/flows/${enc(name)}`),
  check: (name, text) => request("POST", "/api/check", { name, text }),
  graph: (name, text) => request("POST", "/api/graph", { name, text }),
  publish: (name, text, baseHash) =>
    request("PUT", `/api/flows/${enc(name)}`, { text, base_hash: baseHash }),
  changes: (name) => request("GET", `/api/changes?flow=${enc(name)}&limit=50`),
  coverage: (name) => request("GET", `/api/flows/${enc(name)}/coverage`),
  saveScenario: (name, fileName, scenario) =>
    request("POST", `/api/flows/${enc(name)}/scenarios`, { file_name: fileName, scenario }),

  simStart: (setup) => request("POST", "/api/sim", setup),
  simEvent: (id, event) => request("POST", `/api/sim/${enc(id)}/event`, event),
  simScenario: (id) => request("GET", `/api/sim/${enc(id)}/scenario`),
  simForget: (id) => request("DELETE", `/api/sim/${enc(id)}`),

  liveCalls: () => request("GET", "/api/calls/live"),
  recentCalls: () => request("GET", "/api/calls/recent?limit=20"),
};
