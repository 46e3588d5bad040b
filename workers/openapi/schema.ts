/** Tiny JSON Schema (2020-12, as OpenAPI 3.1 uses it) builders, so the registry reads as shapes. */
export type Schema = Record<string, unknown>;

const withDescription = (s: Schema, description?: string): Schema => (description ? { ...s, description } : s);

export const str = (description?: string, extra: Schema = {}): Schema => withDescription({ type: "string", ...extra }, description);
export const int = (description?: string, extra: Schema = {}): Schema => withDescription({ type: "integer", ...extra }, description);
export const num = (description?: string): Schema => withDescription({ type: "number" }, description);
export const bool = (description?: string): Schema => withDescription({ type: "boolean" }, description);
export const time = (description?: string): Schema => str(description, { format: "date-time" });
export const nullable = (s: Schema): Schema => ({ oneOf: [s, { type: "null" }] });
export const arr = (items: Schema, description?: string): Schema => withDescription({ type: "array", items }, description);
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const map = (values: Schema, description?: string): Schema => withDescription({ type: "object", additionalProperties: values }, description);
/** Any JSON object (records as sent, tenant config sections documented elsewhere). */
export const anyObject = (description?: string): Schema => withDescription({ type: "object" }, description);

/** An object whose properties are all required unless listed in `optional`. */
export function obj(properties: Record<string, Schema>, optional: string[] = [], description?: string): Schema {
  const required = Object.keys(properties).filter((k) => !optional.includes(k));
  return withDescription({ type: "object", properties, ...(required.length ? { required } : {}) }, description);
}
