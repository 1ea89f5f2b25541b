// Generated GraphQL documents for the fuzz suite, built from the schema a running service
// describes by introspection (plain JSON: the test package does not depend on graphql-js).

/** The introspection query the builder needs: names, kinds, arguments, input fields, enums. */
export const SCHEMA_QUERY = `{ __schema {
  queryType { name } mutationType { name }
  types { kind name
    fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    enumValues(includeDeprecated: true) { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

interface TypeReference {
  kind: string;
  name: string | null;
  ofType: TypeReference | null;
}
interface InputValue {
  name: string;
  type: TypeReference;
}
interface Field extends InputValue {
  args: InputValue[];
}
interface SchemaType {
  kind: string;
  name: string;
  fields: Field[] | null;
  inputFields: InputValue[] | null;
  enumValues: { name: string }[] | null;
}
/** What {@link SCHEMA_QUERY} answers. */
export interface IntrospectedSchema {
  __schema: {
    queryType: { name: string };
    mutationType: { name: string } | null;
    types: SchemaType[];
  };
}

/** Strings that have broken services before: empty, long, NUL, other scripts, prototypes. */
export const STRINGS = [
  '',
  'openai',
  'gpt-4o',
  'team-a',
  'x'.repeat(300),
  'nul\u0000here',
  '\u202e\u{1f600}é',
  '"quoted" \\ back',
  '2026-12-01T00:00:00Z',
  '1e309',
  '-0.000000001',
  '__proto__',
  'constructor',
];
export const INTS = [0, 1, 5, 50, 500, -1, 2 ** 31, 2 ** 53];

/**
 * Reads choices from a stream of generated numbers: the document builder is a deterministic
 * function of them, so fast-check generates, replays and shrinks the numbers.
 */
export class Choices {
  private index = 0;
  constructor(private readonly values: readonly number[]) {}
  next(bound: number): number {
    const value = this.values[this.index % this.values.length] ?? 0;
    this.index++;
    return bound <= 0 ? 0 : value % bound;
  }
  chance(percent: number): boolean {
    return this.next(100) < percent;
  }
  of<T>(items: readonly T[]): T {
    return items[this.next(items.length)]!;
  }
}

/** A generated request: a document, its variables (JSON) and how careful its author was. */
export interface GeneratedOperation {
  query: string;
  variables: Record<string, unknown>;
  careful: boolean;
}

const named = (type: TypeReference): string =>
  type.ofType ? named(type.ofType) : (type.name ?? 'Unknown');
const printed = (type: TypeReference): string =>
  type.kind === 'NON_NULL'
    ? `${printed(type.ofType!)}!`
    : type.kind === 'LIST'
      ? `[${printed(type.ofType!)}]`
      : (type.name ?? 'Unknown');

/**
 * Builds GraphQL documents from the schema's own names. A careful author writes valid
 * documents — required arguments, literals and variables of the right types, fragments that
 * are spread, unique aliases — that reach the resolvers; a careless one misplaces names,
 * types, fragments and operations. Never more than {@link DocumentBuilder.MAX_SELECTIONS}
 * selections: the builder runs in the loop whose delay is measured.
 */
export class DocumentBuilder {
  static readonly MAX_SELECTIONS = 150;
  private readonly types = new Map<string, SchemaType>();
  private readonly objectTypes: SchemaType[];
  private readonly fieldNames: string[];
  // Per document:
  private choices = new Choices([0]);
  private careful = true;
  private budget = 0;
  private names = 0;
  private variables: Record<string, unknown> = {};
  private variableTypes: Record<string, string> = {};
  private fragments: string[] = [];

  constructor(private readonly schema: IntrospectedSchema) {
    for (const type of schema.__schema.types)
      if (!type.name.startsWith('__')) this.types.set(type.name, type);
    this.objectTypes = [...this.types.values()].filter((type) => type.kind === 'OBJECT');
    this.fieldNames = [
      ...new Set(this.objectTypes.flatMap((type) => (type.fields ?? []).map((f) => f.name))),
    ];
  }

  document(choices: Choices): GeneratedOperation {
    this.choices = choices;
    this.careful = choices.chance(50);
    this.budget = DocumentBuilder.MAX_SELECTIONS;
    this.names = 0;
    this.variables = {};
    this.variableTypes = {};
    this.fragments = [];
    const kind = choices.of(
      this.careful
        ? ['query', 'query', 'mutation', 'shorthand']
        : ['query', 'mutation', 'shorthand', 'subscription'],
    );
    const root = this.types.get(
      kind === 'mutation'
        ? (this.schema.__schema.mutationType?.name ?? '')
        : this.schema.__schema.queryType.name,
    );
    const body = this.selectionSet(root, 0);
    if (!this.careful) {
      // Variables of any type, used or not, valued by whatever JSON came along.
      for (let i = choices.next(4); i > 0; i--) {
        const name = `u${i}`;
        this.variableTypes[name] = this.anyTypeReference();
        this.variables[name] = choices.of([...INTS, ...STRINGS, null, [1], { a: 1 }]);
      }
    }
    const definitions = Object.entries(this.variableTypes).map(
      ([name, type]) => `$${name}: ${type}`,
    );
    const operationName = choices.chance(30) ? ` Op${choices.next(3)}` : '';
    const head =
      kind === 'shorthand' && definitions.length === 0
        ? ''
        : `${kind === 'shorthand' ? 'query' : kind}${operationName}${
            definitions.length > 0 ? `(${definitions.join(', ')})` : ''
          } `;
    let query = `${head}${body}`;
    for (const fragment of this.fragments) query += `\n${fragment}`;
    if (!this.careful && choices.chance(10))
      query += `\n${kind === 'mutation' ? 'query' : 'mutation'} Other { __typename }`;
    return { query, variables: this.variables, careful: this.careful };
  }

  private slip(percent: number): boolean {
    return !this.careful && this.choices.chance(percent);
  }

  private anyTypeReference(): string {
    let reference = this.choices.of([...this.types.keys(), 'NoSuchType']);
    if (this.choices.chance(20)) reference = `[${reference}]`;
    return this.choices.chance(40) ? `${reference}!` : reference;
  }

  private selectionSet(type: SchemaType | undefined, depth: number): string {
    const choices = this.choices;
    const fields = type?.fields ?? [];
    const selections: string[] = [];
    for (let i = 1 + choices.next(4); i > 0; i--) {
      if (--this.budget < 0) {
        selections.push('__typename');
        break;
      }
      const roll = choices.next(100);
      if (roll < 65 && fields.length > 0) {
        selections.push(this.field(choices.of(fields), depth));
      } else if (roll < 75 || (this.careful && roll < 83)) {
        selections.push(`${choices.chance(30) ? `t${this.names++}: ` : ''}__typename`);
      } else if (roll < 83) {
        // A name of the schema where it does not belong.
        selections.push(choices.of(this.fieldNames));
      } else if (roll < 91 && depth < 8) {
        const on = this.slip(50) ? choices.of(this.objectTypes) : type;
        const condition = on && choices.chance(70) ? `on ${on.name} ` : '';
        selections.push(`... ${condition}${this.selectionSet(on, depth + 1)}`);
      } else if (this.careful) {
        if (!type || depth >= 8) continue;
        const index = this.fragments.push('') - 1;
        this.fragments[index] =
          `fragment F${index} on ${type.name} ${this.selectionSet(type, depth)}`;
        selections.push(`...F${index}`, ...(choices.chance(30) ? [`...F${index}`] : []));
      } else {
        // Possibly undefined, possibly of another type, possibly a cycle.
        const name = `F${choices.next(3)}`;
        selections.push(`...${name}`);
        if (choices.chance(50)) {
          const on = choices.of(this.objectTypes);
          this.fragments.push(`fragment ${name} on ${on.name} ${this.selectionSet(on, depth + 1)}`);
        }
      }
    }
    if (selections.length === 0) selections.push('__typename');
    return `{ ${selections.join(' ')} }`;
  }

  private field(field: Field, depth: number): string {
    const choices = this.choices;
    const args = field.args
      .filter((arg) => (arg.type.kind === 'NON_NULL' && !this.slip(20)) || choices.chance(50))
      .map((arg) => `${arg.name}: ${this.value(arg.type, 0)}`);
    if (this.slip(10)) args.push(`${choices.of(this.fieldNames)}: 1`);
    // A careful author names every field with arguments apart, so none conflicts.
    const alias =
      (this.careful && args.length > 0) || choices.chance(20)
        ? `${this.slip(30) ? 'a' : `f${this.names++}`}: `
        : '';
    const type = this.types.get(named(field.type));
    const composite = type?.kind === 'OBJECT' || type?.kind === 'INTERFACE';
    const selection = (composite ? !this.slip(10) : this.slip(5))
      ? ` ${this.selectionSet(type, depth + 1)}`
      : '';
    return `${alias}${field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${selection}`;
  }

  private value(reference: TypeReference, depth: number): string {
    const choices = this.choices;
    const inner = reference.kind === 'NON_NULL' ? reference.ofType! : reference;
    const type = this.types.get(named(inner));
    if (inner.kind !== 'LIST' && type?.kind !== 'INPUT_OBJECT' && choices.chance(15)) {
      const name = `v${Object.keys(this.variableTypes).length}`;
      this.variableTypes[name] = this.slip(30) ? this.anyTypeReference() : printed(reference);
      this.variables[name] = this.json(type);
      return `$${name}`;
    }
    if (this.slip(5) || (reference.kind !== 'NON_NULL' && choices.chance(3))) return 'null';
    if (this.slip(5)) return JSON.stringify(choices.of(STRINGS));
    if (inner.kind === 'LIST') {
      const items = Array.from({ length: choices.next(3) }, () =>
        this.value(inner.ofType!, depth + 1),
      );
      return `[${items.join(', ')}]`;
    }
    if (type?.kind === 'ENUM') {
      return this.slip(30) ? 'NO_SUCH_VALUE' : choices.of(type.enumValues ?? []).name;
    }
    if (type?.kind === 'INPUT_OBJECT') {
      if (depth >= 4) return '{}';
      const entries = (type.inputFields ?? [])
        .filter((field) => (field.type.kind === 'NON_NULL' && !this.slip(20)) || choices.chance(40))
        .map((field) => `${field.name}: ${this.value(field.type, depth + 1)}`);
      return `{ ${entries.join(', ')} }`;
    }
    return JSON.stringify(this.json(type)).replace(/"(\w+)":/g, '$1: ');
  }

  /** A JSON value for a scalar or enum: mostly one it accepts, sometimes one it does not. */
  private json(type: SchemaType | undefined): unknown {
    const choices = this.choices;
    if (type?.kind === 'ENUM')
      return choices.chance(85) ? choices.of(type.enumValues ?? []).name : 'NOPE';
    switch (type?.name) {
      case 'Int':
        return choices.of([0, 1, 5, 50, 500, -1, ...(choices.chance(10) ? [2 ** 31, 1.5] : [])]);
      case 'Float':
        return choices.of([0.5, 1e300, -3]);
      case 'Boolean':
        return choices.chance(50);
      case 'Decimal':
        return choices.of([
          '12.50',
          '0.000000001',
          '0',
          ...(choices.chance(10) ? ['1e3', 'NaN'] : []),
        ]);
      case 'DateTime':
        return choices.of([
          '2026-12-01T00:00:00Z',
          '2020-01-01T00:00:00.000Z',
          ...(choices.chance(10) ? ['yesterday', '0001-01-01T00:00:00Z'] : []),
        ]);
      case 'JSONObject':
        return choices.of([{ team: 'a' }, { depth: { deeper: [1, { x: null }] } }, {}]);
      default:
        return choices.of(STRINGS);
    }
  }
}
