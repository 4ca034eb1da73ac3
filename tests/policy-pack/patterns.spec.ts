/** The shared identifier shapes (policy-pack/rules/patterns.ts) that the pack, the audit and the auditor use. */
import { strict as assert } from "node:assert";
import {
  ACCOUNT_ID,
  ACCOUNT_OR_ALIAS,
  AMI_ID,
  KMS_KEY_ARN,
  REGION,
  ROLE_ARN,
} from "../../policy-pack/rules/patterns";

const table = (re: RegExp, yes: string[], no: string[]) => {
  for (const v of yes) assert.ok(re.test(v), `${re} accepts ${v}`);
  for (const v of no) assert.ok(!re.test(v), `${re} refuses ${v}`);
};

describe("identifier patterns", () => {
  it("AMI ids: ami- and 8 or 17 lowercase hex digits", () => {
    table(
      AMI_ID,
      ["ami-0123abcd", "ami-0123456789abcdef0"],
      [
        "ami-0123abc",
        "ami-0123456789abc",
        "ami-0123456789ABCDEF0",
        "ami-0123456789abcdef01",
        " ami-0123abcd",
        "resolve:ssm:/x",
      ],
    );
  });
  it("regions, including GovCloud, ISO and two-digit numbers", () => {
    table(
      REGION,
      ["us-east-1", "eu-central-2", "us-gov-west-1", "us-isob-east-1", "ap-southeast-7", "il-central-1"],
      ["mars-1", "us-east", "US-EAST-1", "us-east-1 ", "useast1"],
    );
  });
  it("accounts, owner aliases, role and KMS key ARNs", () => {
    table(ACCOUNT_ID, ["123456789012"], ["12345678901", "1234567890123", "amazon"]);
    table(
      ACCOUNT_OR_ALIAS,
      ["123456789012", "amazon", "aws-marketplace", "aws-backup-vault"],
      ["self", "Amazon"],
    );
    table(
      ROLE_ARN,
      ["arn:aws:iam::123456789012:role/x", "arn:aws-us-gov:iam::123456789012:role/path/x"],
      ["arn:aws:iam::1:user/x", "arn:aws:iam::123456789012:user/x"],
    );
    table(
      KMS_KEY_ARN,
      ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
      ["arn:aws:kms:us-east-1:123456789012:alias/x", "alias/aws/ebs", "1234abcd-12ab-34cd-56ef-1234567890ab"],
    );
  });
});
