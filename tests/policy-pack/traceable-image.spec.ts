import { strict as assert } from "node:assert";
import type { PolicyResource } from "@pulumi/policy";
import { ec2AmiRequireTraceableImage as policy } from "../../policy-pack/policies/ec2-ami-require-traceable-image";
import { UNKNOWN } from "../helpers/policy";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(o: T): T };

function resource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  deps: PolicyResource[] = [],
  propDeps: Record<string, PolicyResource[]> = {},
): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:dev::ami-guard::${type}::${name}`,
    props: unknownCheckingProxy(props),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    dependencies: deps,
    propertyDependencies: propDeps,
    isType: () => false,
    asType: () => undefined,
  } as PolicyResource;
}

async function run(resources: PolicyResource[]): Promise<string[]> {
  const out: string[] = [];
  await policy.validateStack(
    { resources, stackTags: new Map(), getConfig: () => ({}) } as never,
    (m: string) => out.push(m),
  );
  return out;
}

describe("ec2-ami-require-traceable-image (stack policy)", () => {
  it("accepts an unknown AMI made by an Image Builder image of the stack, through the property's dependencies", async () => {
    const recipe = resource("aws:imagebuilder/imageRecipe:ImageRecipe", "recipe", {
      parentImage: "arn:aws:imagebuilder:us-east-1:aws:image/al2023/x.x.x",
    });
    const img = resource("aws:imagebuilder/image:Image", "golden", { imageRecipeArn: UNKNOWN }, [recipe]);
    const lt = resource("aws:ec2/launchTemplate:LaunchTemplate", "fleet", { imageId: UNKNOWN }, [img], {
      imageId: [img],
    });
    assert.deepEqual(await run([recipe, img, lt]), []);
  });

  it("reports an unknown AMI that no producer of the stack makes", async () => {
    const param = resource("aws:ssm/parameter:Parameter", "ami-param", { value: UNKNOWN });
    const lt = resource("aws:ec2/launchTemplate:LaunchTemplate", "fleet", { imageId: UNKNOWN }, [param], {
      imageId: [param],
    });
    const out = await run([param, lt]);
    assert.equal(out.length, 1);
    assert.match(out[0], /aws\.ec2\.LaunchTemplate "fleet": the AMI at imageId is unknown at preview/);
  });

  it("ignores known AMI ids (the resource policies look them up) and non-AMI resources", async () => {
    assert.deepEqual(
      await run([
        resource("aws:ec2/instance:Instance", "web", { ami: "ami-00000000000000001" }),
        resource("aws:s3/bucket:Bucket", "b", { bucket: UNKNOWN }),
      ]),
      [],
    );
  });
});
