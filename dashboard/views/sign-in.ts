/**
 * Sign in with an API key. The key is checked with GET /v1/assets (scope "read", which the
 * dashboard needs), then kept in sessionStorage only. The field is a password field: the key is
 * never shown, and never rendered anywhere afterwards.
 */
import { ApiProblem, call } from "../api.ts";
import { busy, fill, h, notice } from "../dom.ts";
import { saveKey } from "../session.ts";

export function signInView(onSignedIn: () => void, reason?: string): HTMLElement {
  const message = h("div", { class: "panel-message" }, reason ? notice("error", reason) : null);
  const input = h("input", {
    id: "api-key", name: "api-key", type: "password", required: true, autocomplete: "off", spellcheck: "false",
    "aria-describedby": "api-key-hint",
  });
  const button = h("button", { type: "submit" }, "Sign in");

  async function submit(): Promise<void> {
    const key = input.value.trim();
    if (!key) return;
    await busy(button, async () => {
      try {
        await call("/v1/assets?limit=1", {}, key);
        saveKey(key);
        input.value = "";
        onSignedIn();
      } catch (e) {
        const p = e instanceof ApiProblem ? e : null;
        fill(message, notice("error",
          p?.status === 401 ? "The bridge does not accept this key (401). Check that you copied all of it, and that it is not revoked or expired."
            : p?.status === 403 ? 'This key lacks the "read" scope, which the dashboard needs to list assets (403). Use a key with "read".'
              : `Could not check the key: ${p ? `${p.title} (${p.status}): ${p.message}` : String(e)}`));
        input.focus();
      }
    });
  }

  const view = h("section", { class: "sign-in", "aria-labelledby": "sign-in-title" },
    h("h2", { id: "sign-in-title" }, "Sign in"),
    h("form", { onsubmit: (e) => { e.preventDefault(); void submit(); } },
      h("label", { for: "api-key" }, "API key"),
      input,
      h("p", { id: "api-key-hint", class: "hint" },
        "A key of your tenant with the read scope (add evidence for bundles, admin to change alerts). ",
        "Locally, npm start prints one and saves it in .dev-tenant.json. ",
        "The key stays in this browser tab's session storage, is sent only in the Authorization header, and is forgotten when the tab closes."),
      button),
    message);
  setTimeout(() => input.focus(), 0);
  return view;
}
