/**
 * The guard of the `components/iam/` refactor: every IAM document a shipped stack registers (role trust and
 * inline policies, managed policies, key, bucket, topic and queue policies, the SCP — any string input that
 * parses to a policy document), byte for byte as the provider receives it, and every resource's physical name
 * (`name`, `bucketPrefix`), against the recorded fixture `tests/fixtures/iam/<stack>.golden.json`. The fixtures were
 * recorded from the code before the refactor; `UPDATE_GOLDEN=1` rewrites them (and a changed document is then a
 * reviewed diff of the fixture, never a silent drift).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Recorder } from "../helpers/mocks";

/** What the fixture holds for one stack. */
export interface IamSnapshot {
  /** `<type> <name> <input>` → the document (its JSON serialisation is compared byte for byte). */
  readonly documents: Record<string, unknown>;
  /** `<type> <name>` → the resource's physical name input (`name`, `bucketPrefix`). */
  readonly names: Record<string, string>;
}

const NAME_INPUTS = ["name", "bucketPrefix", "namePrefix"];

function isPolicyJson(value: unknown): value is string {
  if (typeof value !== "string" || !value.startsWith("{")) return false;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    return typeof parsed === "object" && parsed !== null && "Version" in parsed && "Statement" in parsed;
  } catch {
    return false;
  }
}

/** Every document (as registered: a JSON string) and every physical name the program registered. */
export function iamSnapshotOf(recorder: Recorder): {
  documents: Record<string, string>;
  names: Record<string, string>;
} {
  const documents: Record<string, string> = {};
  const names: Record<string, string> = {};
  for (const reg of recorder.registrations.filter((r) => r.custom)) {
    for (const [input, value] of Object.entries(reg.inputs)) {
      if (isPolicyJson(value)) documents[`${reg.type} ${reg.name} ${input}`] = value;
      else if (value !== null && typeof value === "object" && "Statement" in value)
        throw new assert.AssertionError({
          message: `${reg.type} ${reg.name} ${input}: a policy document registered as an object, not JSON`,
        });
    }
    for (const input of NAME_INPUTS) {
      const value = reg.inputs[input];
      if (typeof value === "string")
        names[`${reg.type} ${reg.name}${input === "name" ? "" : ` ${input}`}`] = value;
    }
  }
  return { documents, names };
}

const fixtureFile = (stack: string) => path.resolve(__dirname, "../fixtures/iam", `${stack}.golden.json`);

/** Asserts that the stack's documents and names are exactly the recorded ones (UPDATE_GOLDEN=1 records them). */
export function assertIamSnapshot(stack: string, recorder: Recorder): void {
  const actual = iamSnapshotOf(recorder);
  const file = fixtureFile(stack);
  if (process.env.UPDATE_GOLDEN === "1") {
    const snapshot: IamSnapshot = {
      documents: Object.fromEntries(
        Object.entries(actual.documents)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, JSON.parse(v)]),
      ),
      names: Object.fromEntries(Object.entries(actual.names).sort(([a], [b]) => a.localeCompare(b))),
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);
  }
  const expected = JSON.parse(fs.readFileSync(file, "utf8")) as IamSnapshot;
  assert.deepEqual(
    Object.keys(actual.documents).sort(),
    Object.keys(expected.documents).sort(),
    `the stack ${stack} registers other documents than ${path.relative(process.cwd(), file)}`,
  );
  assert.ok(Object.keys(actual.documents).length > 0, `no IAM document recorded for ${stack}`);
  // Byte for byte: the fixture holds the parsed document, whose serialisation keeps key and element order.
  const differ = Object.entries(actual.documents)
    .filter(([where, json]) => json !== JSON.stringify(expected.documents[where]))
    .map(([where]) => where);
  for (const where of differ) {
    assert.deepEqual(JSON.parse(actual.documents[where]), expected.documents[where], `${where} differs`);
  }
  assert.deepEqual(differ, [], `documents differing from the fixture (in order only): ${differ.join(", ")}`);
  assert.deepEqual(
    actual.names,
    expected.names,
    `the stack ${stack}'s resource names differ from the fixture`,
  );
}
