/**
 * Which outbound endpoints the bridge may call: evidence stores, FixOps, alert webhooks, JWKS.
 * Tenant config names them, and the bridge sends credentials or signed requests there, so by
 * default only https to public hosts is allowed: no loopback, private, link-local or internal
 * names (SSRF). A deployment var (ALLOW_INSECURE_STORE_ENDPOINTS) lifts this for local
 * development and tests only. Names are judged as written: a public name that DNS resolves to
 * a private address cannot be caught from a Worker (docs/security.md).
 */

const PRIVATE_V4: [number, number][] = [
  [0x00000000, 8], [0x0a000000, 8], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12], [0xc0a80000, 16],
  [0x64400000, 10], [0xc0000000, 24], [0xc6120000, 15], [0xe0000000, 4], [0xf0000000, 4],
];

function ipv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Loopback, private, link-local, CGNAT, multicast or reserved address, or a local-only name. */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal")) return true;
  // A single-label name only resolves inside some private network.
  if (!h.includes(".") && !h.startsWith("[")) return true;
  const v4 = ipv4(h);
  if (v4 !== null) return PRIVATE_V4.some(([net, bits]) => (v4 >>> (32 - bits)) === (net >>> (32 - bits)));
  if (h.startsWith("[")) {
    // WHATWG URLs normalise IPv6 literals, so prefixes are reliable. IPv4-mapped (::ffff:a.b.c.d)
    // is written in hex by the parser; refuse all of it rather than decode it.
    // "::" also covers IPv4-compatible (::a.b.c.d), written ::7f00:1 by the parser; fe80::/10
    // link-local and fec0::/10 site-local; 2002::/16 (6to4) and 2001:0::/32 (Teredo) embed IPv4.
    const v6 = h.slice(1, -1);
    return v6.startsWith("::") || /^f[cd]/.test(v6) || /^fe[89a-f]/.test(v6) || /^ff/.test(v6) || v6.startsWith("64:ff9b:") || v6.startsWith("2002:") || v6.startsWith("2001:0:");
  }
  return false;
}

/** Loopback only (127.0.0.0/8, ::1, localhost): a developer's own machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  const v4 = ipv4(h);
  return h === "localhost" || h.endsWith(".localhost") || h === "[::1]" || (v4 !== null && v4 >>> 24 === 127);
}

/** Why this endpoint may not be called, or null when it may. */
export function endpointRefusal(url: string, allowInsecure: boolean): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "the endpoint is not a URL";
  }
  if (u.username || u.password) return "the endpoint must not carry credentials";
  if (allowInsecure) return u.protocol === "https:" || u.protocol === "http:" ? null : "the endpoint must be an http(s) URL";
  if (u.protocol !== "https:") return "the endpoint must use https (http is allowed only when ALLOW_INSECURE_STORE_ENDPOINTS is set, for local testing)";
  if (isPrivateHost(u.hostname)) return `the endpoint host ${u.hostname} is loopback, private or internal (allowed only when ALLOW_INSECURE_STORE_ENDPOINTS is set)`;
  return null;
}
