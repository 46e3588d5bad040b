/** Formatting for people: counts, sizes, times. Pure. */

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" (from `now`, epoch ms). */
export function ago(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return "never";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Local date and time to the second, e.g. "2026-11-25 08:01:02". */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Local "HH:MM". */
export function clock(iso: string): string {
  return dateTime(iso).slice(11, 16);
}

export function rate(perMinute: number): string {
  if (perMinute === 0) return "0/min";
  if (perMinute < 10) return `${perMinute.toFixed(1)}/min`;
  return `${Math.round(perMinute).toLocaleString("en-US")}/min`;
}

export function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : `${Math.round(v).toLocaleString("en-US")} ms`;
}
