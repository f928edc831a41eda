/**
 * A closed header schema flattened into one row per field (nested objects as `a.b`, arrays of
 * objects as `a[].b`, records as `a.<name>`), with its type, unit, bounds and meaning: what the
 * README's tables and a reader of the AsyncAPI document need, read from the schema itself.
 */

/** The JSON Schema keywords TypeBox writes for the header schemas (its symbols dropped). */
export interface JsonSchema {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  description?: string;
  unit?: string;
}

export interface FieldRow {
  /** `angle`, `loop.p50Ms`, `cars[].x`, `gauges.<name>` */
  path: string;
  type: string;
  required: boolean;
  unit: string;
  bounds: string;
  description: string;
}

/** A TypeBox schema as plain JSON Schema (TypeBox's symbol keys dropped). */
export function plainSchema(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.type === 'array') return `array of ${schema.items ? typeOf(schema.items) : 'any'}`;
  if (schema.type === 'object' && schema.patternProperties) return 'object (name → value)';
  return schema.type ?? 'any';
}

function boundsOf(schema: JsonSchema): string {
  const bounds: string[] = [];
  if (schema.minimum !== undefined && schema.maximum !== undefined) bounds.push(`${schema.minimum} … ${schema.maximum}`);
  else if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  else if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minLength !== undefined) bounds.push(`≥ ${schema.minLength} chars`);
  if (schema.maxLength !== undefined) bounds.push(`≤ ${schema.maxLength} chars`);
  if (schema.pattern !== undefined) bounds.push(`matches \`${schema.pattern}\``);
  if (schema.minItems !== undefined) bounds.push(`≥ ${schema.minItems} items`);
  if (schema.maxItems !== undefined) bounds.push(`≤ ${schema.maxItems} items`);
  if (schema.maxProperties !== undefined) bounds.push(`≤ ${schema.maxProperties} names`);
  return bounds.join(', ');
}

function row(path: string, schema: JsonSchema, required: boolean): FieldRow {
  const integer = schema.type === 'integer' ? 'integer' : undefined;
  return {
    path,
    type: integer ?? typeOf(schema),
    required,
    unit: schema.unit ?? '',
    bounds: boundsOf(schema),
    description: schema.description ?? '',
  };
}

/** Every field of an object schema, depth first in the schema's own order. */
export function fieldRows(schema: JsonSchema, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    rows.push(row(path, field, required.has(name)));
    if (field.type === 'object' && field.properties) rows.push(...fieldRows(field, `${path}.`));
    if (field.type === 'object' && field.patternProperties) {
      const [pattern, value] = Object.entries(field.patternProperties)[0]!;
      rows.push({ ...row(`${path}.<name>`, value, false), bounds: [`name matches \`${pattern}\``, boundsOf(value)].filter(Boolean).join(', ') });
      if (value.type === 'object' && value.properties) rows.push(...fieldRows(value, `${path}.<name>.`));
    }
    if (field.type === 'array' && field.items?.type === 'object' && field.items.properties) rows.push(...fieldRows(field.items, `${path}[].`));
  }
  return rows;
}
