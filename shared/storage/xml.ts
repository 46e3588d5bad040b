/**
 * Just enough XML for the S3 and Azure Blob REST answers: flat elements read by tag name.
 * workerd has no DOMParser, and these documents never nest an element inside one of the same
 * name, so a lazy match per element is exact.
 */

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Character data of an element: CDATA unwrapped, entities decoded (once: "&amp;lt;" stays "&lt;"). */
export function xmlText(raw: string): string {
  return raw.replace(/<!\[CDATA\[([\s\S]*?)\]\]>|&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (m, cdata: string | undefined, ent: string | undefined) => {
    if (cdata !== undefined) return cdata;
    if (!ent!.startsWith("#")) return NAMED[ent!]!;
    const cp = ent!.startsWith("#x") ? parseInt(ent!.slice(2), 16) : parseInt(ent!.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** Escape text for an element body. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The raw inner XML of every `<tag>` element (an empty element gives ""). */
export function xmlElements(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}>)`, "g");
  return [...xml.matchAll(re)].map((m) => m[1] ?? "");
}

/** Decoded text of the first `<tag>` element, or undefined. */
export function xmlFirst(xml: string, tag: string): string | undefined {
  const inner = xmlElements(xml, tag)[0];
  return inner === undefined ? undefined : xmlText(inner);
}
