/** Operator bootstrap: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
const enc = new TextEncoder();

export async function isAdminToken(configured: string | undefined, presented: string | null): Promise<boolean> {
  if (!configured || !presented) return false;
  // Hash both so the comparison is constant-time whatever the lengths.
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(configured)),
    crypto.subtle.digest("SHA-256", enc.encode(presented)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
