/**
 * The vocabulary of the config table (config/schema.ts): what one row may say about a stack config key, and
 * the value type a row stands for. The parser (config/parse.ts), the `Pulumi.yaml` `config:` block and
 * docs/configuration.md (config/docs.ts) all read rows written in these terms.
 */

/** What the stack's account is in an organisation's estate, and so which components it composes. */
export const ACCOUNT_ROLES = ["standalone", "image-build", "workload"] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/** The ten practices of the README's table, by number (1. Only trusted AMIs … 10. Periodic audits). */
export const PRACTICES = {
  1: "Only trusted AMIs",
  2: "Least privilege, no root",
  3: "KMS customer-managed keys",
  4: "Patch and replace often",
  5: "Versioning and tagging",
  6: "Limit sharing",
  7: "Log and monitor",
  8: "Automated security testing",
  9: "Immutable infrastructure",
  10: "Periodic audits",
} as const;
export type Practice = keyof typeof PRACTICES;

/**
 * The account roles whose stacks compose what reads a key. A key outside its scope must not be set (the
 * stack file would describe something that is not built), unless it has a project default.
 */
export interface Scope {
  readonly roles: readonly AccountRole[];
  /** Why the other roles do not use it, in the "is not used when accountRole is …" message. */
  readonly why: string;
}

/** A test of one string value and the words naming what it must be (`must be <what>, got …`). */
export interface Check {
  readonly test: RegExp | ((v: string) => boolean);
  readonly what: string;
}

interface Common {
  /** One line: what the key does. */
  readonly description: string;
  /** The practice (README table) the key serves, if one. */
  readonly practice?: Practice;
  /** Pulumi secret? None of ours is: the table says so, and the docs show it. */
  readonly secret: boolean;
  /** Roles that read the key (default: every role). */
  readonly scope?: Scope;
}

export interface StringSpec extends Common {
  readonly type: "string";
  readonly valid: Check;
  readonly default?: string;
}
export interface EnumSpec extends Common {
  readonly type: "enum";
  readonly values: readonly string[];
  readonly default?: string;
}
export interface IntegerSpec extends Common {
  readonly type: "integer";
  readonly min: number;
  readonly max: number;
  /** Only these values within min..max. */
  readonly allowed?: { readonly values: readonly number[]; readonly what: string };
  readonly default?: number;
}
export interface BooleanSpec extends Common {
  readonly type: "boolean";
  readonly default?: boolean;
}
export interface ListSpec extends Common {
  readonly type: "list";
  readonly item: Check;
  /** The closed set of item values, when there is one (types the list). */
  readonly values?: readonly string[];
  readonly nonEmpty?: boolean;
  /** An item the list must hold, and why. */
  readonly mustInclude?: { readonly item: string; readonly because: string };
  readonly default?: readonly string[];
  /** The value when the key is not set (optional key; not a Pulumi.yaml default). */
  readonly whenUnset?: readonly string[];
}
export interface MapSpec extends Common {
  readonly type: "map";
  /** Words for the docs: what the object maps. */
  readonly what: string;
  /** Validates the parsed JSON; throws {@link KeyProblem} naming what is wrong. */
  readonly parse: (v: unknown) => Readonly<Record<string, string>>;
  /** The value when the key is not set. */
  readonly whenUnset: Readonly<Record<string, string>>;
  readonly default?: undefined;
}
export type KeySpec = StringSpec | EnumSpec | IntegerSpec | BooleanSpec | ListSpec | MapSpec;

/** Thrown by a row's own check (a {@link MapSpec}'s parse): the parser names the key and the stack file. */
export class KeyProblem extends Error {}

/** The value one row stands for once parsed. */
export type ValueOf<S> = S extends { type: "enum"; values: readonly (infer V)[] }
  ? V
  : S extends { type: "string" }
    ? string
    : S extends { type: "integer" }
      ? number
      : S extends { type: "boolean" }
        ? boolean
        : S extends { type: "list"; values: readonly (infer V)[] }
          ? readonly V[]
          : S extends { type: "list" }
            ? readonly string[]
            : S extends { type: "map" }
              ? Readonly<Record<string, string>>
              : never;

/** A row's value as the parser returns it: `undefined` when the stack's role does not read the key. */
export type ParsedValueOf<S> = S extends { scope: Scope } ? ValueOf<S> | undefined : ValueOf<S>;
