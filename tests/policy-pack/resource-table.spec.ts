/**
 * The resource table against the installed providers' own type definitions: every listed type token is the
 * `__pulumiType` of a class of @pulumi/aws or @pulumi/aws-native, and every listed property path exists in
 * its `…Args` interface, following `inputs.<module>.<Type>` references through `types/input.d.ts` (a `[]`
 * segment must be a list there). A provider upgrade that renames or drops a path fails here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { AMI_TABLE, LAUNCHERS, MAKERS, USERS } from "../../policy-pack/rules/resources";

const ROOT = path.resolve(__dirname, "..", "..", "node_modules", "@pulumi");
const PACKAGES = { aws: path.join(ROOT, "aws"), "aws-native": path.join(ROOT, "aws-native") } as const;

type Interfaces = Map<string, ts.InterfaceDeclaration>;

/** Every interface of a declaration file, keyed by its namespace-qualified name (`batch.Foo`, `FooArgs`). */
function interfacesOf(file: string): Interfaces {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out: Interfaces = new Map();
  const walk = (node: ts.Node, ns: string[]): void => {
    if (ts.isModuleDeclaration(node)) ns = [...ns, node.name.text];
    if (ts.isInterfaceDeclaration(node)) out.set([...ns, node.name.text].join("."), node);
    ts.forEachChild(node, (c) => walk(c, ns));
  };
  walk(sf, []);
  return out;
}

const inputCache = new Map<string, Interfaces>();
function inputTypes(pkg: string): Interfaces {
  let m = inputCache.get(pkg);
  if (!m) inputCache.set(pkg, (m = interfacesOf(path.join(pkg, "types", "input.d.ts"))));
  return m;
}

/** `aws:batch/computeEnvironment:ComputeEnvironment` → module dir, file and class; same for aws-native. */
function locate(token: string): { pkg: string; dir: string; file: string; cls: string } {
  const classic = /^aws:([a-zA-Z0-9]+)\/([a-zA-Z0-9]+):([A-Za-z0-9]+)$/.exec(token);
  if (classic) return { pkg: PACKAGES.aws, dir: classic[1], file: classic[2], cls: classic[3] };
  const nat = /^aws-native:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(token);
  assert.ok(nat, `${token} is an aws: or aws-native: type token`);
  return {
    pkg: PACKAGES["aws-native"],
    dir: nat[1],
    file: nat[2][0].toLowerCase() + nat[2].slice(1),
    cls: nat[2],
  };
}

function member(iface: ts.InterfaceDeclaration, name: string): ts.PropertySignature | undefined {
  return iface.members.find(
    (m): m is ts.PropertySignature => ts.isPropertySignature(m) && (m.name as ts.Identifier).text === name,
  );
}

/** Checks `segments` from `iface`; returns a description of the first segment that does not resolve. */
function resolvePath(pkg: string, iface: ts.InterfaceDeclaration, segments: string[]): string | undefined {
  let current = iface;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const isList = seg.endsWith("[]");
    const name = isList ? seg.slice(0, -2) : seg;
    const m = member(current, name);
    if (!m || !m.type) return `${current.name.text} has no property ${name}`;
    const text = m.type.getText();
    if (isList && !/\[\]/.test(text)) return `${current.name.text}.${name} is not a list (${text})`;
    if (i === segments.length - 1) return undefined;
    const ref = /inputs\.([a-zA-Z0-9]+)\.([A-Za-z0-9]+)/.exec(text);
    if (!ref) return `${current.name.text}.${name} is not an object type (${text})`;
    const next = inputTypes(pkg).get(`${ref[1]}.${ref[2]}`);
    if (!next) return `types/input.d.ts has no ${ref[1]}.${ref[2]}`;
    current = next;
  }
  return undefined;
}

describe("the AMI resource table against the installed providers", function () {
  this.timeout(120_000);

  it("lists both providers' launchers, makers and the types the issue names", () => {
    for (const t of [
      "aws:batch/computeEnvironment:ComputeEnvironment",
      "aws:emr/cluster:Cluster",
      "aws:ssm/parameter:Parameter",
      "aws:elasticbeanstalk/environment:Environment",
      "aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate",
      "aws:eks/nodeGroup:NodeGroup",
      "aws-native:ec2:Instance",
      "aws-native:ec2:LaunchTemplate",
      "aws-native:autoscaling:LaunchConfiguration",
      "aws-native:ec2:SpotFleet",
      "aws-native:imagebuilder:ImageRecipe",
      "aws-native:imagebuilder:DistributionConfiguration",
      "aws-native:batch:ComputeEnvironment",
    ]) {
      assert.ok(t in AMI_TABLE, `${t} is listed`);
    }
    assert.ok(LAUNCHERS.includes("aws-native:ec2:Instance"));
    assert.ok(USERS.includes("aws:emr/cluster:Cluster"));
    assert.ok(MAKERS.includes("aws-native:imagebuilder:DistributionConfiguration"));
  });

  for (const [token, entry] of Object.entries(AMI_TABLE)) {
    it(`${token}: the type and ${entry.properties.map((p) => p.path).join(", ")} exist in ${entry.provider}`, () => {
      const { pkg, dir, file, cls } = locate(token);
      assert.equal(pkg, PACKAGES[entry.provider], `${token} belongs to ${entry.provider}`);
      const js = path.join(pkg, dir, `${file}.js`);
      assert.ok(fs.existsSync(js), `${js} exists`);
      assert.ok(
        fs.readFileSync(js, "utf8").includes(`__pulumiType = '${token}'`),
        `${dir}/${file}.js declares ${token}`,
      );
      const args = interfacesOf(path.join(pkg, dir, `${file}.d.ts`)).get(`${cls}Args`);
      assert.ok(args, `${cls}Args is declared`);
      const paths = [...entry.properties.map((p) => p.path), ...(entry.when ? [entry.when.path] : [])];
      for (const p of paths) {
        const problem = resolvePath(pkg, args, p.split("."));
        assert.equal(problem, undefined, `${token} ${p}: ${problem}`);
      }
    });
  }

  it("fails for a path that does not exist (the check can fail)", () => {
    const args = interfacesOf(path.join(PACKAGES.aws, "batch", "computeEnvironment.d.ts")).get(
      "ComputeEnvironmentArgs",
    )!;
    assert.match(
      resolvePath(PACKAGES.aws, args, ["computeResources", "ec2Configurations[]", "imageIdOverridden"])!,
      /no property imageIdOverridden/,
    );
    assert.match(resolvePath(PACKAGES.aws, args, ["computeResources[]"])!, /not a list/);
    assert.equal(
      resolvePath(PACKAGES.aws, args, ["computeResources", "ec2Configurations[]", "imageIdOverride"]),
      undefined,
    );
  });
});
